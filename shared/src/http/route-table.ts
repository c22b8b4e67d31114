import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
  /** The token bucket the route's rate limit takes from (RouteSpec.rateLimit), if it has one. */
  readonly rateLimit?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the app serves, with whether it is public and its rate-limit bucket: what the auth and limit tests are generated from. */
    readonly routeTable: readonly RouteEntry[];
  }
}

/**
 * Records every route as it is registered (call before any route is added).
 * Entries are read when asked for: a plugin's own onRoute hook (declarePublic)
 * runs after this one and may still change the route's config.
 */
export function recordRouteTable(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  app.decorate('routeTable', {
    getter: () =>
      routes.flatMap((route) =>
        (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({ method, url: route.url, public: route.config?.public === true, ...(route.config?.rateLimitBucket ? { rateLimit: route.config.rateLimitBucket } : {}) })),
      ),
  });
  app.addHook('onRoute', (route) => void routes.push(route));
}
