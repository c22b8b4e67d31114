import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { OpenAPIV3_1 } from 'openapi-types';
import { OPENAPI_INFO, openApiDocument } from '../contract/openapi';
import { asyncApiDocument } from '../contract/asyncapi';
import { declarePublic } from './authenticate';

/**
 * The published contract, public: `/openapi.json` (OpenAPI 3.1), a browsable
 * `/docs` (Swagger UI) over the same document, and `/asyncapi.json` (AsyncAPI 3.0,
 * the WebSocket's frames, from the schemas the server checks frames with). Every service serves the same
 * document, so it reads the same in Phase 1 and behind Phase 3's entry point.
 */
export async function registerContractDocs(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    declarePublic(scope);
    // Built on the first request that needs it, not at start (about 0.4 s, mostly the displayable-text pattern):
    // every service serves these documents, and none should start slower for them.
    let document: OpenAPIV3_1.Document | undefined;
    let frames: object | undefined;
    scope.addHook('onRequest', async () => {
      document ??= await openApiDocument();
    });
    // Swagger UI reads its document from @fastify/swagger; this scope has no routes of its own to describe, so the UI is handed the contract's.
    await scope.register(swagger, { openapi: { openapi: '3.1.0', info: OPENAPI_INFO } });
    await scope.register(swaggerUi, { routePrefix: '/docs', logLevel: 'warn', transformSpecificationClone: false, transformSpecification: () => document! });
    scope.get('/openapi.json', { schema: { hide: true } }, async () => document);
    scope.get('/asyncapi.json', { schema: { hide: true } }, async () => (frames ??= asyncApiDocument()));
  });
}
