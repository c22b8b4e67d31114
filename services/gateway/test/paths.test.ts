import t from 'tap';
import { normalisePath } from '../src/paths';
import { upstreamOf } from '../src/routes';

t.test('escapes of unreserved characters are decoded before routing, so a spelling routes where the service will take it', async (t) => {
  t.equal(normalisePath('/%761/rooms'), '/v1/rooms');
  t.equal(normalisePath('/v%31/rooms/r1/%6Dessages?after=1'), '/v1/rooms/r1/messages?after=1');
  t.equal(normalisePath('/v1/rooms/r1/%6d%65ssages'), '/v1/rooms/r1/messages');
  t.equal(upstreamOf(normalisePath('/v1/rooms/r1/%6Dessages')!), 'message');
  t.equal(normalisePath('/%69nternal/rpc/x/y'), '/internal/rpc/x/y');
  t.equal(normalisePath('/v1/search?q=%ED%95%9C'), '/v1/search?q=%ED%95%9C', 'the query is left as sent');
  t.equal(normalisePath('/v1/rooms/a%2Fb'), '/v1/rooms/a%2Fb', 'a reserved character stays escaped');
  t.equal(normalisePath('/v1/rooms/%25761'), '/v1/rooms/%25761', 'decoded once, never twice');
});

t.test('dot segments, however spelled, are refused', async (t) => {
  for (const p of ['/v1/../internal/rpc', '/./v1/rooms', '/v1/%2e%2e/internal', '/v1/%2E/rooms', '/x/..']) t.equal(normalisePath(p), undefined, p);
  t.equal(normalisePath('/v1/rooms/a..b'), '/v1/rooms/a..b', 'dots inside a segment are fine');
});
