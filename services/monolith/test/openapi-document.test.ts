import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@chat/shared/kernel/config';
import { CONTRACT_ROUTES } from '@chat/shared/contract/http/index';
import { openApiDocument, openApiPath } from '@chat/shared/contract/openapi';
import { buildMonolith } from '../src/app';

/** Routes served outside the OpenAPI document, each for a reason. */
const UNDOCUMENTED = [
  /^\/v1\/ws$/, // the WebSocket: /asyncapi.json
  /^\/internal\//, // Phase 3's service-to-service calls, never routed from outside
  /^\/(openapi\.json|asyncapi\.json|docs(\/.*)?)$/, // the documents themselves
  /^\/$|\.[a-z0-9]+$|^\/assets\//i, // the page's static files
];

t.test('every route the monolith serves is in the document, and nothing else is', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-openapi-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const monolith = await buildMonolith(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent' }));
  t.teardown(() => monolith.close());
  await monolith.app.ready();
  const doc = await openApiDocument();
  const served = monolith.app.routeTable.filter((r) => r.method !== 'HEAD' && !UNDOCUMENTED.some((re) => re.test(r.url)));
  for (const r of served) t.ok(doc.paths?.[openApiPath(r.url)]?.[r.method.toLowerCase() as 'get'], `${r.method} ${r.url} is documented`);
  const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) => Object.keys(item ?? {}).map((m) => `${m.toUpperCase()} ${path}`));
  t.equal(documented.length, served.length, `as many operations as served routes (${documented.join(', ')})`);
  t.same((await monolith.app.inject({ url: '/openapi.json' })).json(), JSON.parse(JSON.stringify(doc)), 'served as built');
});

t.test('security: bearer JWT by default, none exactly on the public routes', async (t) => {
  const doc = await openApiDocument();
  t.same(doc.components?.securitySchemes?.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'accessToken from register, login or refresh' });
  t.same(doc.security, [{ bearerAuth: [] }]);
  for (const route of CONTRACT_ROUTES) {
    const op = doc.paths?.[openApiPath(route.url)]?.[route.method.toLowerCase() as 'get'];
    if (route.public) t.same(op?.security, [], `${route.method} ${route.url} is public`);
    else {
      t.equal(op?.security, undefined, `${route.method} ${route.url} needs the bearer token`);
      t.ok(op?.responses?.['401'], `${route.method} ${route.url} documents its 401`);
    }
  }
});

t.test('each operation has an id, a summary and an example, and ids are unique', async (t) => {
  const doc = await openApiDocument();
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item ?? {})) {
      if (typeof op !== 'object' || op === null || !('responses' in op)) continue;
      const id = op.operationId ?? '';
      t.ok(id && !ids.has(id), `${method} ${path}: operationId ${id} is given and unique`);
      ids.add(id);
      t.ok(op.summary, `${method} ${path} has a summary`);
      t.match(JSON.stringify(op), /"examples?":/, `${method} ${path} has an example`);
    }
  }
  t.equal(ids.size, CONTRACT_ROUTES.length);
});

t.test('links chain a new room into calls on it, and a new message into its edit', async (t) => {
  const doc = await openApiDocument();
  const created = doc.paths?.['/v1/rooms']?.post?.responses?.['201'];
  t.match(created, { links: { PostMessage: { operationId: 'postMessage', parameters: { roomId: '$response.body#/room/id' } } } });
  const posted = doc.paths?.['/v1/rooms/{roomId}/messages']?.post?.responses?.['201'];
  t.match(posted, { links: { EditMessage: { operationId: 'editMessage' } } });
  const ids = new Set(CONTRACT_ROUTES.map((r) => r.schema.operationId));
  for (const route of CONTRACT_ROUTES) for (const links of Object.values(route.links ?? {})) for (const link of Object.values(links)) t.ok(ids.has(link.operationId), `link to ${link.operationId} names an operation`);
});
