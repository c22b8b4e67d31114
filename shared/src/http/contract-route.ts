import type { FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteGenericInterface, RouteHandlerMethod } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteSchema, RouteSpec } from '../contract/http/route-spec';

/** A handler of a contract route: its params, query, body and answers are typed from the route's TypeBox schemas. */
export type ContractHandler<S extends RouteSchema> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  unknown,
  S,
  TypeBoxTypeProvider
>;

export interface ContractRouteOptions<S extends RouteSchema = RouteSchema> {
  /**
   * Checks of the request alone (e.g. of the body beyond its schema) that run after validation and
   * before the route's rate limit (RouteSpec.rateLimit): a request they refuse takes no token.
   */
  preHandler?: (request: Parameters<ContractHandler<S>>[0]) => Promise<void> | void;
}

/**
 * Serves one route of the public contract (shared/src/contract/http) with its handler. The route's
 * schemas validate the request and serialise the answer, and are what /openapi.json describes, so
 * the document cannot drift from what is served. Public routes are the ones the contract marks so,
 * and rate-limited routes too (RouteSpec.rateLimit, applied by registerRateLimits).
 */
export function serveContractRoute<S extends RouteSchema>(app: FastifyInstance, spec: RouteSpec<S>, handler: ContractHandler<S>, options: ContractRouteOptions<S> = {}): void {
  const preHandler = options.preHandler;
  // A limit declared but never applied would fail open: refuse to serve the route instead.
  if (spec.rateLimit && !app.hasDecorator('rateLimit')) throw new Error(`${spec.method} ${spec.url} declares rate limit '${spec.rateLimit}': call registerRateLimits on the app before its routes`);
  app.withTypeProvider<TypeBoxTypeProvider>().route({
    method: spec.method,
    url: spec.url,
    schema: spec.schema,
    // The rate limit (registerRateLimits) is added as this route's last preHandler, after `preHandler`.
    config: { ...(spec.public ? { public: true } : {}), ...(spec.rateLimit ? { rateLimitBucket: spec.rateLimit } : {}) },
    ...(preHandler ? { preHandler: async (request) => preHandler(request as Parameters<ContractHandler<S>>[0]) } : {}),
    handler,
  });
}
