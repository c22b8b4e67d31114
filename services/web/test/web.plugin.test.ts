import Fastify from 'fastify';
import t from 'tap';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_BUNDLE_PATH, buildClientBundle } from '../src/client-bundle';
import { registerWeb } from '../src/web.plugin';

async function build() {
  const app = Fastify();
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/v1/rooms', async () => ({ rooms: [] }));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no route' } }));
  await registerWeb(app);
  await app.ready();
  return app;
}

t.test('serves the page at / and its modules with the right types', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  const index = await app.inject('/');
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-type'], /text\/html/);
  t.match(index.body, /data-testid="chat-screen"/);
  t.match(index.headers['content-security-policy'], /default-src 'self'/);
  for (const file of ['app.js', 'connect.js', 'outbox.js', 'rooms.js', 'state.js', 'view.js']) {
    const res = await app.inject(`/js/${file}`);
    t.equal(res.statusCode, 200, file);
    t.match(res.headers['content-type'], /javascript/, file);
  }
  t.match((await app.inject('/style.css')).headers['content-type'], /text\/css/);
});

t.test('leaves the API, health and unknown paths to the app', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  t.same((await app.inject('/v1/rooms')).json(), { rooms: [] });
  t.same((await app.inject('/healthz')).json(), { status: 'ok' });
  for (const path of ['/v1/nope', '/nope.html', '/js/../../src/web.plugin.ts']) {
    const res = await app.inject(path);
    t.equal(res.statusCode, 404, path);
    t.equal(res.json().error.code, 'NOT_FOUND', path);
  }
});

t.test('serves @sturdy-chat/client bundled for the browser, with the page\'s security headers and an ETag', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  const res = await app.inject(CLIENT_BUNDLE_PATH);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/javascript/);
  t.match(res.headers['content-security-policy'], /default-src 'self'/);
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['referrer-policy'], 'no-referrer');
  t.match(res.headers['cache-control'], /max-age=0/);
  const etag = String(res.headers.etag);
  t.match(etag, /^"[\w-]+"$/);
  t.match(res.body, /export\s*\{[^}]*\bRealtimeClient\b[^}]*\}/, 'an ES module exporting the client');
  for (const name of ['ChatHttpClient', 'Session', 'newClientMsgId', 'unwrap']) t.match(res.body, new RegExp(`\\b${name}\\b`), name);
  t.notMatch(res.body, /\beval\(|new Function\(/, 'nothing the CSP would refuse');
  t.notMatch(res.body, /\bimport\s*[{*"']|\bfrom\s*["']|require\(/, 'one file: no imports left to resolve');
  const again = await app.inject({ url: CLIENT_BUNDLE_PATH, headers: { 'if-none-match': etag } });
  t.equal(again.statusCode, 304, 'a reload with the ETag gets 304');
  t.equal(again.body, '');
  const head = await app.inject({ url: CLIENT_BUNDLE_PATH, method: 'HEAD' });
  t.equal(head.statusCode, 200);
});

t.test('every script the page loads is served: index.html\'s, and every module they import, transitively', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  const html = (await app.inject('/')).body;
  t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script (the CSP forbids it)');
  const queue = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/gi)].map((m) => new URL(m[1]!, 'http://page.test/').pathname);
  t.same(queue, ['/js/app.js']);
  const seen = new Set<string>();
  while (queue.length) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const res = await app.inject(path);
    t.equal(res.statusCode, 200, `${path} is served`);
    t.match(res.headers['content-type'], /javascript/, `${path} is JavaScript`);
    const specifiers = [...res.body.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w*{}\s,$]*?\s*from\s*)?["']([^"']+)["']/g), ...res.body.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
    for (const spec of specifiers) {
      t.ok(/^\.{1,2}\/|^\//.test(spec), `${path} imports ${spec} by a path (a browser cannot resolve bare names)`);
      queue.push(new URL(spec, `http://page.test${path}`).pathname);
    }
  }
  t.ok(seen.has(CLIENT_BUNDLE_PATH), 'the page loads the client bundle');
  t.ok(seen.has('/js/connect.js') && seen.has('/js/rooms.js'), 'and its own modules');
});

t.test('a client that does not bundle is a clear error at startup, not a 500 later', async (t) => {
  const broken = join(mkdtempSync(join(tmpdir(), 'web-bundle-')), 'index.ts');
  writeFileSync(broken, "import { nothing } from './missing';\nexport const x = nothing;\n");
  await t.rejects(buildClientBundle(broken), { message: /could not bundle @sturdy-chat\/client for the browser \(esbuild\): .*missing/s });
});
