import { drainRequest } from './drain-request';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorBody, isDependencyUnavailable, RateLimitedError, UnavailableError } from '../kernel/errors';
import { allowedMethods } from './method-not-allowed';
import { NOT_BLANK } from '../contract/http/route-spec';
import { displayableTextPattern } from '../contract/displayable-text';

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  params?: { missingProperty?: string; additionalProperty?: string; pattern?: string };
  message?: string;
}

/** What a failed pattern means, said in words (a pattern spelled out over Unicode is no message). */
function patternMessage(pattern: string): string {
  if (pattern === NOT_BLANK) return 'must not be empty or whitespace only';
  if (pattern === displayableTextPattern()) return 'must not contain control, bidirectional or invisible characters, nor be only whitespace';
  return pattern.length <= 100 ? `must match pattern "${pattern}"` : 'is not in the accepted form';
}

/** "body.name must be string": the field first, so a client sees what to fix. */
function describeValidation(context: string, issues: ValidationIssue[]): { message: string; field: string } {
  const first = issues[0] ?? {};
  const path = (first.instancePath ?? '').split('/').filter(Boolean);
  if (first.params?.missingProperty) path.push(first.params.missingProperty);
  const field = path.join('.') || context;
  const said = first.keyword === 'pattern' && first.params?.pattern !== undefined ? patternMessage(first.params.pattern) : first.message;
  return { field, message: `${field} ${said ?? 'is invalid'}` };
}

/**
 * Errors the router raises before any route runs: an over-long or badly
 * encoded path segment names nothing the caller can see, so it is a 404.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const notFound = error.code === 'FST_ERR_MAX_PARAM_LENGTH' || error.code === 'FST_ERR_BAD_URL';
  void reply
    .status(notFound ? 404 : 400)
    .send({ error: { code: notFound ? 'NOT_FOUND' : 'VALIDATION_FAILED', message: notFound ? 'not found' : 'bad request' } });
}

/** The one place typed errors become the contract's error body; 5xx bodies never leak internals. */
export function registerErrorHandling(app: FastifyInstance): void {
  const methodsAt = allowedMethods(app);
  /** No route matched: a path served with other methods is a 405 naming them in `Allow`, any other a 404. */
  const noRoute = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const allow = methodsAt(path);
    if (allow.length > 0) return reply.status(405).header('allow', allow.join(', ')).send({ error: { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not served at ${path}; allowed: ${allow.join(', ')}` } });
    return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${path}` } });
  };
  app.setErrorHandler((err: FastifyError & { validation?: ValidationIssue[]; validationContext?: string }, request, reply) => {
    // A request no route serves failed before the not-found handler (e.g. a QUERY without a Content-Type): still a 404 or 405.
    if (request.is404 && !(err instanceof AppError) && err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') return noRoute(request, reply);
    if (err instanceof AppError) {
      if (err instanceof RateLimitedError || (err instanceof UnavailableError && err.retryAfterSeconds !== undefined)) void reply.header('retry-after', String(err.retryAfterSeconds));
      return reply.status(err.status).send(errorBody(err));
    }
    if (err.validation) {
      const { field, message } = describeValidation(err.validationContext ?? 'body', err.validation);
      return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message, details: { field } } });
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        // Answered once the upload is over (bounded): a proxy in front then never resets the answer away.
        return drainRequest(request.raw).then(() => reply.status(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is over 1 MiB' } }));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: 'body must be application/json', details: { field: 'body' } } });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: 'body is empty', details: { field: 'body' } } });
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: 'body is not valid JSON', details: { field: 'body' } } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const code = err.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : err.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED';
      const status = code === 'VALIDATION_FAILED' ? 400 : err.statusCode;
      return reply.status(status).send({ error: { code, message: err.message } });
    }
    if (isDependencyUnavailable(err)) {
      request.log.warn({ err: String(err) }, 'a dependency is unavailable');
      return reply.status(503).header('retry-after', '1').send({ error: { code: 'UNAVAILABLE', message: 'a dependency is unavailable, retry shortly' } });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler(noRoute);
}
