import Fastify from 'fastify';
import t from 'tap';
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
  for (const file of ['app.js', 'api.js', 'socket.js', 'state.js', 'view.js']) {
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
