import t from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerRateLimits, verdictAsHits } from '@chat/shared/http/rate-limits';
import { registerErrorHandling } from '@chat/shared/http/error-handler';
import { recordRouteTable } from '@chat/shared/http/route-table';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { refresh } from '@chat/shared/contract/http/auth';
import { testMonolith } from './support/monolith';

// HTTP rate limits: @fastify/rate-limit over our token buckets (shared/src/http/rate-limits.ts),
// declared per route in the contract (RouteSpec.rateLimit).

const LOW = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MESSAGES_PER_SECOND: '1', RATE_LIMIT_MESSAGES_BURST: '2', RATE_LIMIT_AUTH_PER_SECOND: '1', RATE_LIMIT_AUTH_BURST: '3', RATE_LIMIT_ROOMS_PER_SECOND: '1', RATE_LIMIT_ROOMS_BURST: '2' };
let userN = 0;
/** A fresh client address per caller: with REDIS_URL the auth buckets outlive the test. */
const address = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
/** Rate limits in-process, and in Redis (the shared Lua bucket) when REDIS_URL is set. */
const modes: Array<[string, Record<string, string>]> = [['in-process', {}], ...(process.env.REDIS_URL ? [['redis', { REDIS_URL: process.env.REDIS_URL }] as [string, Record<string, string>]] : [])];

async function session(app: FastifyInstance, from = address()) {
  const res = await app.inject({ method: 'POST', url: '/v1/auth/register', remoteAddress: from, payload: { username: `rl${process.pid}x${userN++}`, password: 'correct horse battery' } });
  if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
  const s = res.json();
  return { id: s.user.id as string, headers: { authorization: `Bearer ${s.accessToken}` } };
}

t.test('the routes that carry a rate limit, and their buckets (RouteSpec.rateLimit)', async (t) => {
  const app = await testMonolith(t);
  const limited = app.routeTable.filter((r) => r.rateLimit !== undefined).map((r) => `${r.method} ${r.url} ${r.rateLimit}`).sort();
  t.same(limited, [
    'POST /v1/auth/login auth',
    'POST /v1/auth/logout auth',
    'POST /v1/auth/refresh auth',
    'POST /v1/auth/register auth',
    'POST /v1/rooms room',
    'POST /v1/rooms/:roomId/members member',
    'POST /v1/rooms/:roomId/messages msg',
  ]);
});

for (const [mode, env] of modes) t.test(`a refused call is the contract 429: RATE_LIMITED body, Retry-After, X-RateLimit-* headers (${mode})`, async (t) => {
  const app = await testMonolith(t, { ...LOW, ...env });
  const me = await session(app);
  const room = (await app.inject({ method: 'POST', url: '/v1/rooms', headers: me.headers, payload: { type: 'group', name: 'limits' } })).json().room;
  const post = (n: number) => app.inject({ method: 'POST', url: `/v1/rooms/${room.id}/messages`, headers: me.headers, payload: { clientMsgId: `c${n}`, body: 'hi' } });
  const first = await post(1);
  t.equal(first.statusCode, 201);
  t.equal(first.headers['x-ratelimit-limit'], '2', 'limit = the burst');
  t.equal(first.headers['x-ratelimit-remaining'], '1', 'remaining = whole tokens left');
  t.equal(first.headers['x-ratelimit-reset'], '1', 'reset = seconds until the bucket is full again');
  t.notOk(first.headers['retry-after'], 'no Retry-After on a served call');
  t.equal((await post(2)).statusCode, 201);
  const refused = await post(3);
  t.equal(refused.statusCode, 429);
  const retryAfter = Number(refused.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After is whole seconds (${refused.headers['retry-after']})`);
  t.same(refused.json(), { error: { code: 'RATE_LIMITED', message: 'too many requests', details: { retryAfterSeconds: retryAfter } } }, 'exactly the body RateLimitedError gives');
  t.match(refused.headers['content-type'], /^application\/json/);
  t.equal(refused.headers['x-ratelimit-limit'], '2');
  t.equal(refused.headers['x-ratelimit-remaining'], '0');
  t.equal(refused.headers['x-ratelimit-reset'], String(retryAfter));
  const messages = (await app.inject({ method: 'GET', url: `/v1/rooms/${room.id}/messages`, headers: me.headers })).json().messages;
  t.equal(messages.length, 2, 'the refused send stored nothing');

  // Another user has a bucket of their own; an unlimited route carries no limit headers.
  const other = await session(app);
  await app.inject({ method: 'POST', url: `/v1/rooms/${room.id}/members`, headers: me.headers, payload: { userId: other.id } });
  t.equal((await app.inject({ method: 'POST', url: `/v1/rooms/${room.id}/messages`, headers: other.headers, payload: { clientMsgId: 'o1', body: 'hi' } })).statusCode, 201, 'another user is served');
  const list = await app.inject({ method: 'GET', url: `/v1/rooms/${room.id}/messages`, headers: me.headers });
  t.equal(list.statusCode, 200);
  t.notOk(list.headers['x-ratelimit-limit'], 'GET messages is not limited');

  // Auth is limited per address, before the handler: a refused refresh is the same 429 (refresh: no password hash, so no refill in between).
  const calls = [];
  const from = address();
  for (let i = 0; i < 5; i++) calls.push(await app.inject({ method: 'POST', url: '/v1/auth/refresh', remoteAddress: from, payload: { refreshToken: 'not-a-token' } }));
  t.same(calls.map((r) => r.statusCode), [401, 401, 401, 429, 429], 'the burst (3), then 429');
  t.same(calls[3]!.json(), { error: { code: 'RATE_LIMITED', message: 'too many requests', details: { retryAfterSeconds: Number(calls[3]!.headers['retry-after']) } } });
  t.ok(Number(calls[3]!.headers['retry-after']) >= 1);
});

for (const [mode, env] of modes) t.test(`the limit runs after validation: a malformed body is a 400 and takes no token (${mode})`, async (t) => {
  const app = await testMonolith(t, { ...LOW, ...env });
  const me = await session(app);
  const room = (await app.inject({ method: 'POST', url: '/v1/rooms', headers: me.headers, payload: { type: 'group', name: 'validation' } })).json().room;
  const url = `/v1/rooms/${room.id}/messages`;
  const bad: object[] = [{ clientMsgId: 'x' }, { clientMsgId: 'x', body: '   ' }, { clientMsgId: '', body: 'x' }, { body: 'x' }, { clientMsgId: 'x', body: 42 }];
  for (const payload of [...bad, ...bad]) {
    const res = await app.inject({ method: 'POST', url, headers: me.headers, payload });
    t.equal(res.statusCode, 400, `${JSON.stringify(payload)} is 400`);
    t.equal(res.json().error.code, 'VALIDATION_FAILED');
    t.notOk(res.headers['x-ratelimit-remaining'], 'the limit did not run');
  }
  const sends = [];
  for (let i = 0; i < 3; i++) sends.push((await app.inject({ method: 'POST', url, headers: me.headers, payload: { clientMsgId: `ok${i}`, body: 'x' } })).statusCode);
  t.same(sends, [201, 201, 429], 'the whole burst (2) is still there');

  // POST /v1/rooms: the checks of the body alone (a group's name, a direct room's one member) come first too.
  const me2 = await session(app);
  const rooms = [];
  for (const payload of [{ type: 'group', name: ' \u3000 ' }, { type: 'direct', memberIds: [] }, { type: 'direct', memberIds: ['a', 'b'] }, { type: 'group' }]) {
    rooms.push((await app.inject({ method: 'POST', url: '/v1/rooms', headers: me2.headers, payload })).statusCode);
  }
  t.same(rooms, [400, 400, 400, 400]);
  const created = [];
  for (let i = 0; i < 3; i++) created.push((await app.inject({ method: 'POST', url: '/v1/rooms', headers: me2.headers, payload: { type: 'group', name: `r${i}` } })).statusCode);
  t.same(created, [201, 201, 429], 'the room burst (2) is intact');

  // Unauthenticated: 401 before any limit.
  const anon = await app.inject({ method: 'POST', url, payload: { clientMsgId: 'x', body: 'x' } });
  t.equal(anon.statusCode, 401);
});

t.test('RATE_LIMIT_ENABLED=false: no route ever answers 429', async (t) => {
  const app = await testMonolith(t, { ...LOW, RATE_LIMIT_ENABLED: 'false' });
  const me = await session(app);
  const room = (await app.inject({ method: 'POST', url: '/v1/rooms', headers: me.headers, payload: { type: 'group', name: 'unlimited' } })).json().room;
  const statuses = new Set<number>();
  for (let i = 0; i < 30; i++) {
    statuses.add((await app.inject({ method: 'POST', url: `/v1/rooms/${room.id}/messages`, headers: me.headers, payload: { clientMsgId: `u${i}`, body: 'x' } })).statusCode);
    statuses.add((await app.inject({ method: 'POST', url: '/v1/rooms', headers: me.headers, payload: { type: 'group', name: `u${i}` } })).statusCode);
    statuses.add((await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'nobody-here', password: 'wrong password' } })).statusCode);
  }
  t.same([...statuses].sort(), [201, 401]);
});

t.test('a bucket verdict as @fastify/rate-limit hits (max = burst)', async (t) => {
  const rule = { ratePerSecond: 2, burst: 10 };
  t.same(verdictAsHits(rule, { allowed: true, retryAfterSeconds: 0, remaining: 9 }), { current: 1, ttl: 1000 }, 'one taken: remaining 9, full in 1 s');
  t.same(verdictAsHits(rule, { allowed: true, retryAfterSeconds: 0, remaining: 0 }), { current: 10, ttl: 5000 }, 'last token: not exceeded');
  t.same(verdictAsHits(rule, { allowed: false, retryAfterSeconds: 3, remaining: 0 }), { current: 11, ttl: 3000 }, 'refused: exceeded, ttl = Retry-After');
  t.same(verdictAsHits(rule, { allowed: true, retryAfterSeconds: 0, remaining: 10 }), { current: 0, ttl: 0 }, 'unlimited: nothing used');
});

t.test('a limiter that fails (Redis down) is not skipped: the call is a 503 UNAVAILABLE, as from the handlers before', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  recordRouteTable(app);
  registerErrorHandling(app);
  const rule = { ratePerSecond: 1, burst: 1 };
  const down = { take: async () => { throw new Error('Connection is closed.'); } };
  await registerRateLimits(app, down, { auth: rule, room: rule, member: rule, msg: rule });
  let handled = 0;
  serveContractRoute(app, refresh, async (_request, reply) => { handled++; return reply.status(401).send({ error: { code: 'UNAUTHENTICATED', message: 'no' } }); });
  const res = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: 'x' } });
  t.equal(res.statusCode, 503);
  t.equal(res.json().error.code, 'UNAVAILABLE');
  t.equal(res.headers['retry-after'], '1');
  t.equal(handled, 0, 'the handler did not run');
});

t.test('a route declaring a limit on an app without registerRateLimits is refused at registration', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  t.throws(() => serveContractRoute(app, refresh, async () => undefined), /declares rate limit 'auth'/);
});
