import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessTokens, bearerToken } from '../auth/access-token';
import { UnauthenticatedError } from '../kernel/errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's user id. Reading it on a request nobody authenticated throws UNAUTHENTICATED. */
    userId: string;
  }
  interface FastifyContextConfig {
    /** Routes that need no access token (register, login, refresh, logout, operations, the page). */
    public?: boolean;
  }
}

const kUserId = Symbol('userId');
type WithUser = FastifyRequest & { [kUserId]?: string };

/**
 * Every route is private unless it declares `config: { public: true }`.
 *
 * The decision is taken from the route the router matched, never from the raw
 * URL: the router decodes `%76` to `v` before matching, so a check on the URL
 * string is a check on something else than what runs. The token is checked in
 * onRequest, before the body is read, so a missing or bad token is a 401
 * whatever else is wrong (401 wins over 400). Unmatched requests run only the
 * not-found handler, which reveals nothing, and answer 404.
 *
 * `request.userId` is a getter that throws on a request nobody authenticated,
 * so a handler can never act as the empty identity, even if a route's
 * declaration and its handler disagree.
 */
export function registerAuthentication(app: FastifyInstance, tokens: AccessTokens): void {
  app.decorateRequest('userId', {
    getter(this: WithUser): string {
      const id = this[kUserId];
      if (!id) throw new UnauthenticatedError('authentication required');
      return id;
    },
    setter(this: WithUser, id: string) {
      this[kUserId] = id;
    },
  });
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config?.public === true || request.is404) return;
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthenticatedError('missing bearer token');
    const { userId } = await tokens.verify(token);
    if (!userId) throw new UnauthenticatedError('invalid token');
    request.userId = userId;
  });
}

/** Marks every route registered in `scope` (an encapsulated plugin) public: for plugins that register routes themselves (static files). */
export function declarePublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
}
