import type { FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteGenericInterface, RouteHandlerMethod } from 'fastify';
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

export interface ContractRouteOptions {
  /** Runs after validation, before the handler (e.g. a rate limit by address). */
  preHandler?: (request: FastifyRequest) => Promise<void>;
}

/**
 * Serves one route of the public contract (shared/src/contract/http) with its handler. The route's
 * schemas validate the request and serialise the answer, and are what /openapi.json describes, so
 * the document cannot drift from what is served. Public routes are the ones the contract marks so.
 */
export function serveContractRoute<S extends RouteSchema>(app: FastifyInstance, spec: RouteSpec<S>, handler: ContractHandler<S>, options: ContractRouteOptions = {}): void {
  app.withTypeProvider<TypeBoxTypeProvider>().route({
    method: spec.method,
    url: spec.url,
    schema: spec.schema,
    config: spec.public ? { public: true } : {},
    ...(options.preHandler ? { preHandler: options.preHandler } : {}),
    handler,
  });
}
