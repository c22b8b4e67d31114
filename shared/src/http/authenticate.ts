import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessTokens, bearerToken } from '../auth/access-token';
import { UnauthenticatedError } from '../kernel/errors';

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
  }
  interface FastifyContextConfig {
    /** Routes that need no access token (register, login, refresh, logout, operations). */
    public?: boolean;
  }
}

/**
 * Checks the access token in onRequest, before the body is read, so a
 * missing or bad token is a 401 whatever else is wrong (401 wins over 400).
 */
export function registerAuthentication(app: FastifyInstance, tokens: AccessTokens): void {
  app.decorateRequest('userId', '');
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config?.public || !request.url.startsWith('/v1/')) return;
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthenticatedError('missing bearer token');
    request.userId = (await tokens.verify(token)).userId;
  });
}
