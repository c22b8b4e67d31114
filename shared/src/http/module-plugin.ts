import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

/** The HTTP shell of createServiceApp: error body, validators, access-token auth on every route not declared public. */
export const HTTP_SHELL = 'chat-http-shell';
/** @fastify/rate-limit's own plugin name: routes naming a bucket (RouteSpec.rateLimit) need registerRateLimits first. */
export const RATE_LIMITS = '@fastify/rate-limit';

/** Registered by createServiceApp once the shell is in place: a module registered on any other app fails at start, naming it. */
export const httpShellMarker = fp(async () => undefined, { name: HTTP_SHELL, fastify: '5.x' });

/**
 * A module of the product as a Fastify plugin with its dependencies declared:
 * registering it where one is missing fails at start with
 * FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED, instead of serving routes without
 * auth or without their rate limit. Not encapsulated (fastify-plugin): its
 * routes and hooks are the app's, as when modules were plain functions.
 */
export function chatModule<Options>(name: string, dependencies: readonly string[], plugin: (app: FastifyInstance, options: Options) => Promise<unknown>): FastifyPluginAsync<Options & Record<never, never>> {
  const wrapped: FastifyPluginAsync<Options & Record<never, never>> = async (app, options) => {
    await plugin(app, options as Options);
  };
  return fp(wrapped, { name, fastify: '5.x', dependencies: [HTTP_SHELL, ...dependencies] });
}
