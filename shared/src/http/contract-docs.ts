import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { openApiDocument } from '../contract/openapi';
import { asyncApiDocument } from '../contract/asyncapi';
import { declarePublic } from './authenticate';

/**
 * The published contract, public: `/openapi.json` (OpenAPI 3.1), a browsable
 * `/docs` (Swagger UI) over the same document, and `/asyncapi.json` (AsyncAPI 3.0,
 * the WebSocket's frames, from the schemas the server checks frames with). Every service serves the same
 * document, so it reads the same in Phase 1 and behind Phase 3's entry point.
 */
export async function registerContractDocs(app: FastifyInstance): Promise<void> {
  const document = await openApiDocument();
  await app.register(async (scope) => {
    declarePublic(scope);
    // Swagger UI reads its document from @fastify/swagger; this scope has no routes of its own to describe, so the UI is handed the contract's.
    await scope.register(swagger, { openapi: { openapi: '3.1.0', info: document.info } });
    await scope.register(swaggerUi, { routePrefix: '/docs', logLevel: 'warn', transformSpecificationClone: false, transformSpecification: () => document });
    scope.get('/openapi.json', { schema: { hide: true } }, async () => document);
    const frames = asyncApiDocument();
    scope.get('/asyncapi.json', { schema: { hide: true } }, async () => frames);
  });
}
