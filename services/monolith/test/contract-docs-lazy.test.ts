import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@chat/shared/kernel/config';
import { openApiDocument, openApiDocumentBuilt } from '@chat/shared/contract/openapi';
import { buildMonolith } from '../src/app';

// Building the OpenAPI document costs about 0.4 s; every service serves it, so none should pay that at start.
t.test('the OpenAPI document is built on the first request for it, not at start', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-docs-lazy-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const monolith = await buildMonolith(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent' }));
  t.teardown(() => monolith.close());
  await monolith.app.ready();
  t.notOk(openApiDocumentBuilt(), 'not built by starting the app');
  t.equal((await monolith.app.inject({ url: '/healthz' })).statusCode, 200);
  t.notOk(openApiDocumentBuilt(), 'not built by other requests');

  const [docs, json] = await Promise.all([monolith.app.inject({ url: '/docs/json' }), monolith.app.inject({ url: '/openapi.json' })]);
  t.equal(json.statusCode, 200);
  t.equal(docs.statusCode, 200, 'the first request may be Swagger UI’s');
  const built = JSON.parse(JSON.stringify(await openApiDocument()));
  t.same(json.json(), built, '/openapi.json serves the built document');
  t.same(docs.json(), built, '/docs reads the same document');
  const yaml = await monolith.app.inject({ url: '/docs/yaml' });
  t.match(yaml.body, /title: Sturdy Chat API/, 'and its YAML form');
  const frames = await monolith.app.inject({ url: '/asyncapi.json' });
  t.equal(frames.json().asyncapi, '3.0.0');
});
