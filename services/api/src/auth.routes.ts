import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimitedError, ValidationError } from '@chat/shared/kernel/errors';
import type { BucketRule, RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import { codePointLength } from '@chat/shared/kernel/text';
import type { AuthService } from './auth.service';
import { LoginBody, RefreshBody, RegisterBody } from './auth.schemas';

export interface AuthRoutesDeps {
  auth: AuthService;
  limiter: RateLimiter;
  authRule: BucketRule;
}

export async function authRoutes(app: FastifyInstance, d: AuthRoutesDeps): Promise<void> {
  const limitByAddress = async (request: FastifyRequest) => {
    const verdict = await d.limiter.take(`auth:${request.ip}`, d.authRule);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  };
  const config = { public: true };

  app.post('/v1/auth/register', { config, schema: { body: RegisterBody }, preHandler: limitByAddress }, async (request, reply) => {
    const body = request.body as RegisterBody;
    const displayName = (body.displayName ?? body.username).normalize('NFC');
    if (body.displayName !== undefined && body.displayName.trim() === '') throw new ValidationError('displayName must not be blank', 'displayName');
    if (codePointLength(displayName) > 64) throw new ValidationError('displayName must be at most 64 characters', 'displayName');
    return reply.status(201).send(await d.auth.register(body.username, body.password, displayName));
  });

  app.post('/v1/auth/login', { config, schema: { body: LoginBody }, preHandler: limitByAddress }, async (request) => {
    const body = request.body as LoginBody;
    return d.auth.login(body.username, body.password);
  });

  app.post('/v1/auth/refresh', { config, schema: { body: RefreshBody }, preHandler: limitByAddress }, async (request) => {
    return d.auth.refresh((request.body as RefreshBody).refreshToken);
  });

  app.post('/v1/auth/logout', { config, preHandler: limitByAddress }, async (request, reply) => {
    const token = (request.body as { refreshToken?: unknown } | undefined)?.refreshToken;
    if (typeof token === 'string' && token.length <= 1024) await d.auth.logout(token);
    return reply.status(204).send();
  });
}
