import Fastify from 'fastify';
import swagger from '@fastify/swagger';
import type { OpenAPIV3_1 } from 'openapi-types';
import { CONTRACT_ROUTES } from './http/index';
import type { RouteSpec } from './http/route-spec';

const DESCRIPTION = [
  'The public HTTP contract of the chat backend (API.md and docs/api-extensions.md), generated from the TypeBox schemas the server validates and serialises with.',
  'Every route needs `Authorization: Bearer <accessToken>` unless its operation says `security: []`.',
  'Errors answer `{"error":{"code","message","details"?}}`; a 400 names the field in `details.field`.',
  'Real time is the WebSocket at `/v1/ws`, described in AsyncAPI at `/asyncapi.json`.',
].join('\n\n');

/** The document's `info`, known without building it. */
export const OPENAPI_INFO = { title: 'Sturdy Chat API', version: '1.0.0', description: DESCRIPTION };

/** Fastify paths (`/v1/rooms/:roomId`) as OpenAPI paths (`/v1/rooms/{roomId}`). */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

/** What fastify-swagger cannot say: links between operations, and a request body that may be absent. */
function addLinksAndOptionalBodies(document: OpenAPIV3_1.Document, routes: readonly RouteSpec[]): void {
  for (const route of routes) {
    const operation = document.paths?.[openApiPath(route.url)]?.[route.method.toLowerCase() as Lowercase<RouteSpec['method']>];
    if (route.optionalBody && operation?.requestBody && !('$ref' in operation.requestBody)) operation.requestBody.required = false;
    for (const [status, links] of Object.entries(route.links ?? {})) {
      const response = operation?.responses?.[status];
      if (response && !('$ref' in response)) response.links = links;
    }
  }
}

/**
 * The OpenAPI 3.1 document of the contract, made by @fastify/swagger from the
 * same route specs every phase serves: it is identical in Phase 1 and behind
 * Phase 3's entry point, whichever process answers.
 */
async function build(routes: readonly RouteSpec[]): Promise<OpenAPIV3_1.Document> {
  const app = Fastify({ logger: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'accessToken from register, login or refresh' } } },
      security: [{ bearerAuth: [] }],
      tags: ['auth', 'users', 'rooms', 'members', 'messages', 'search', 'notifications', 'operations'].map((name) => ({ name })),
    },
  });
  for (const route of routes) app.route({ method: route.method, url: route.url, schema: route.schema, handler: async () => null });
  await app.ready();
  const document = app.swagger() as OpenAPIV3_1.Document;
  await app.close();
  addLinksAndOptionalBodies(document, routes);
  return document;
}

let cached: Promise<OpenAPIV3_1.Document> | undefined;

/** Whether this process has built (or started building) the document: services build it on first request, not at start. */
export function openApiDocumentBuilt(): boolean {
  return cached !== undefined;
}

export function openApiDocument(): Promise<OpenAPIV3_1.Document> {
  cached ??= build(CONTRACT_ROUTES);
  return cached;
}
