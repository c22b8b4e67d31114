import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressList } from '../src/http/address-list';
import { createServiceApp } from '../src/http/service-app';
import { loadConfig } from '../src/kernel/config';

const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'auth-')), JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' });

async function appWithRoutes() {
  const { app, tokens } = createServiceApp(config, 'test', () => ({}));
  app.get('/v1/private', async (request) => ({ userId: request.userId }));
  app.get('/elsewhere/private', async (request) => ({ userId: request.userId }));
  app.get('/v1/open', { config: { public: true } }, async () => ({ ok: true }));
  // Declared public by mistake, yet reads the identity: it must get 401, never run as "".
  app.get('/v1/mistake', { config: { public: true } }, async (request) => ({ userId: request.userId }));
  await app.ready();
  t.teardown(() => app.close());
  return { app, token: await tokens.issue('user-1') };
}

t.test('routes are private unless declared public, wherever they live', async (t) => {
  const { app, token } = await appWithRoutes();
  for (const url of ['/v1/private', '/%761/private', '/v%31/private', '/elsewhere/private', '/%65lsewhere/private']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 401, `${url} without a token is 401`);
    t.equal(res.json().error.code, 'UNAUTHENTICATED');
  }
  const ok = await app.inject({ method: 'GET', url: '/%761/private', headers: { authorization: `Bearer ${token}` } });
  t.same(ok.json(), { userId: 'user-1' }, 'with a token the encoded path is the same route, as that user');
  t.equal((await app.inject({ method: 'GET', url: '/v1/open' })).statusCode, 200, 'a public route needs no token');
  t.equal((await app.inject({ method: 'GET', url: '/v1/nothing-here' })).statusCode, 404, 'an unmatched path is a 404 (only the not-found handler runs)');
});

t.test('a handler never runs as the empty identity', async (t) => {
  const { app } = await appWithRoutes();
  const res = await app.inject({ method: 'GET', url: '/v1/mistake' });
  t.equal(res.statusCode, 401, 'reading request.userId on an unauthenticated request is UNAUTHENTICATED');
});

t.test('the route table says which routes are public', async (t) => {
  const { app } = await appWithRoutes();
  const byUrl = new Map(app.routeTable.filter((r) => r.method === 'GET').map((r) => [r.url, r.public]));
  t.equal(byUrl.get('/v1/private'), false);
  t.equal(byUrl.get('/v1/open'), true);
  t.equal(byUrl.get('/healthz'), true);
});

t.test('address lists match addresses, CIDRs and IPv4-mapped IPv6', async (t) => {
  const list = new AddressList(['127.0.0.0/8', '::1', '10.1.2.3']);
  t.ok(list.has('127.0.0.2'));
  t.ok(list.has('::ffff:127.0.0.1'));
  t.ok(list.has('::1'));
  t.ok(list.has('10.1.2.3'));
  t.notOk(list.has('10.1.2.4'));
  t.notOk(list.has('8.8.8.8'));
  t.notOk(list.has(undefined));
  t.notOk(new AddressList([]).has('127.0.0.1'));
});
