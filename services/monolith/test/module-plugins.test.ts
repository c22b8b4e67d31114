import t from 'tap';
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@chat/shared/kernel/config';
import { createServiceApp } from '@chat/shared/http/service-app';
import { messagesModule } from '@chat/message/message.module';
import { searchModule } from '@chat/search/search.module';
import { buildMonolith } from '../src/app';

const config = () => loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'chat-modules-')), JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent' });

// The modules are Fastify plugins with declared dependencies: one registered where its shell is missing refuses to start.
t.test('the monolith registers every module as a named plugin', async (t) => {
  const c = config();
  t.teardown(() => rmSync(c.dataDir, { recursive: true, force: true }));
  const monolith = await buildMonolith(c);
  t.teardown(() => monolith.close());
  await monolith.app.ready();
  for (const name of ['chat-http-shell', '@fastify/rate-limit', 'chat-api', 'chat-messages', 'chat-search', 'chat-ws', 'chat-notifications', 'chat-web']) t.ok(monolith.app.hasPlugin(name), name);
});

t.test('a module on an app without the HTTP shell (no auth on its routes) does not start', async (t) => {
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  void app.register(searchModule, { queries: {} as never, search: async () => [] });
  await t.rejects(async () => void (await app.ready()), { code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED', message: /chat-http-shell/ });
});

t.test('the message routes on a service app without the rate limits do not start', async (t) => {
  const { app } = createServiceApp(config(), 'test', () => ({}));
  t.teardown(() => app.close());
  void app.register(messagesModule, { commands: {} as never, queries: {} as never });
  await t.rejects(async () => void (await app.ready()), { code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED', message: /@fastify\/rate-limit/ });
});
