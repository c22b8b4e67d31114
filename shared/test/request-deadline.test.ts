import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp } from '../src/http/service-app';
import { loadConfig } from '../src/kernel/config';

t.test('a request that waits on a slow dependency past HTTP_HANDLER_TIMEOUT_MS is a 503 with Retry-After, not a hang', async (t) => {
  const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'deadline-')), JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent', HTTP_HANDLER_TIMEOUT_MS: '200' });
  const { app } = createServiceApp(config, 'test', () => ({}));
  app.get('/frozen', { config: { public: true } }, () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 1000)));
  app.get('/quick', { config: { public: true } }, async () => ({ ok: true }));
  await app.ready();
  t.teardown(() => app.close());
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/frozen' });
  t.equal(res.statusCode, 503);
  t.equal(res.json().error.code, 'UNAVAILABLE');
  t.equal(res.headers['retry-after'], '1');
  t.ok(Date.now() - started < 900, `answered at the deadline (${Date.now() - started} ms)`);
  t.same((await app.inject({ method: 'GET', url: '/quick' })).json(), { ok: true }, 'a quick request is untouched');
  await new Promise((r) => setTimeout(r, 1000));
});
