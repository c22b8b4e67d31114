import type { FastifyInstance, FastifyReply } from 'fastify';
import { ValidationError } from '@chat/shared/kernel/errors';
import { codePointLength, isDisplayableText } from '@chat/shared/kernel/text';
import type { AuthService } from './auth.service';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { login, logout, refresh, register } from '@chat/shared/contract/http/auth';

export interface AuthRoutesDeps {
  auth: AuthService;
}

/** Answers that carry tokens are never stored by a browser or a proxy. */
function noStore<R extends FastifyReply>(reply: R): R {
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  return reply;
}

const JSON_MEDIA_TYPE = /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Logout's body, read leniently: anything that is not a JSON object naming a refresh token names none. */
function lenientLogoutBody(contentType: string | undefined, raw: string): { refreshToken?: unknown } | undefined {
  if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { refreshToken?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

export async function authRoutes(app: FastifyInstance, d: AuthRoutesDeps): Promise<void> {
  // Every route here takes from the caller's address bucket (RouteSpec.rateLimit 'auth', applied by registerRateLimits).
  serveContractRoute(app, register, async (request, reply) => {
    const body = request.body;
    const displayName = (body.displayName ?? body.username).normalize('NFC');
    if (body.displayName !== undefined && body.displayName.trim() === '') throw new ValidationError('displayName must not be blank', 'displayName');
    if (codePointLength(displayName) > 64) throw new ValidationError('displayName must be at most 64 characters', 'displayName');
    if (!isDisplayableText(displayName)) throw new ValidationError('displayName must not contain control, bidirectional or invisible characters, nor be only whitespace', 'displayName');
    const session = await d.auth.register(body.username, body.password, displayName, request.ip);
    return noStore(reply).status(201).send(session);
  });

  serveContractRoute(app, login, async (request, reply) => {
    const session = await d.auth.login(request.body.username, request.body.password, request.ip);
    return noStore(reply).status(200).send(session);
  });

  serveContractRoute(app, refresh, async (request, reply) => {
    const pair = await d.auth.refresh(request.body.refreshToken);
    return noStore(reply).status(200).send(pair);
  });

  // Logout always answers 204 (rate limits aside): in its own scope, a body of any type, or a malformed
  // one, parses to "no token" instead of failing before the route (and its rate limit) runs.
  await app.register(async (scope) => {
    // Only a JSON body is read; any other content-type (even one that does not parse) is opaque bytes.
    scope.addHook('onRequest', async (request) => {
      const type = request.headers['content-type'];
      if (type !== undefined && !JSON_MEDIA_TYPE.test(type)) request.headers['content-type'] = 'application/octet-stream';
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (request, raw, done) => done(null, lenientLogoutBody(request.headers['content-type'], raw as string)));
    serveContractRoute(scope, logout, async (request, reply) => {
      const token = request.body?.refreshToken;
      if (typeof token === 'string' && token.length <= 1024) await d.auth.logout(token);
      return reply.status(204).send(null);
    });
  });
}
