import t from 'tap';
import { testMonolith } from './support/monolith';

// Found by Schemathesis (unsupported_method): a method not served at a path that exists answered 404,
// and a QUERY without a Content-Type a 400, where HTTP says 405 with the path's methods in Allow.
t.test('a path served with other methods answers 405 and Allow', async (t) => {
  const app = await testMonolith(t);
  const trace = await app.inject({ method: 'TRACE', url: '/healthz' });
  t.equal(trace.statusCode, 405);
  t.equal(trace.headers.allow, 'GET, HEAD');
  t.equal(trace.json().error.code, 'METHOD_NOT_ALLOWED');

  const query = await app.inject({ method: 'QUERY', url: '/v1/rooms/0190a5f5-0d3e-7a41-9b6c-1e2f3a4b5c6d' });
  t.equal(query.statusCode, 405, 'QUERY without a Content-Type');
  t.equal(query.headers.allow, 'DELETE, GET, HEAD, PATCH');

  const put = await app.inject({ method: 'PUT', url: '/v1/rooms?limit=1', headers: { 'content-type': 'application/json' }, payload: '{}' });
  t.equal(put.statusCode, 405, 'query string aside');
  t.equal(put.headers.allow, 'GET, HEAD, POST');
});

t.test('a path no route serves is still a 404, whatever the method', async (t) => {
  const app = await testMonolith(t);
  for (const method of ['GET', 'TRACE', 'QUERY'] as const) {
    const res = await app.inject({ method, url: '/v1/nothing/here' });
    t.equal(res.statusCode, 404, method);
    t.equal(res.json().error.code, 'NOT_FOUND');
    t.equal(res.headers.allow, undefined);
  }
});
