import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '@chat/shared/kernel/config';
import { CONTRACT_ROUTES } from '@chat/shared/contract/http/index';
import { buildMonolith } from '../src/app';

/**
 * Response schemas serialise answers, and a serialiser keeps only the fields its
 * schema names. This drives every route of the contract through the monolith
 * and compares each answer as the handler made it with the bytes sent: a field
 * the handler returned and the schema dropped (or changed) fails here.
 */
interface Seen {
  route: string;
  status: number;
  made: unknown;
  sent: unknown;
}

function recordSerialisation(app: FastifyInstance, seen: Seen[]): void {
  const made = new WeakMap<object, unknown>();
  app.addHook('preSerialization', async (request, _reply, payload) => {
    made.set(request, JSON.parse(JSON.stringify(payload)));
    return payload;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (made.has(request) && typeof payload === 'string') {
      seen.push({ route: `${request.method} ${request.routeOptions.url}`, status: reply.statusCode, made: made.get(request), sent: JSON.parse(payload) });
    }
    return payload;
  });
}

t.test('no response schema drops or changes a field the handler answered', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-serial-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const monolith = await buildMonolith(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false', METRICS_ALLOWED_ADDRESSES: '127.0.0.1' }));
  t.teardown(() => monolith.close());
  const { app } = monolith;
  const seen: Seen[] = [];
  recordSerialisation(app, seen);
  await app.ready();

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token?: string, payload?: object) => {
    const res = await app.inject({ method, url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
    t.ok(res.statusCode < 400, `${method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    return res.body ? JSON.parse(res.body) : undefined;
  };
  const name = () => `u_${randomBytes(5).toString('hex')}`;
  const password = 'correct horse battery staple';
  const alice = await call('POST', '/v1/auth/register', undefined, { username: name(), password, displayName: 'Alice' });
  const bobName = name();
  const bob = await call('POST', '/v1/auth/register', undefined, { username: bobName, password });
  await call('POST', '/v1/auth/login', undefined, { username: bobName, password });
  const a = alice.accessToken;
  const b = bob.accessToken;
  const pair = await call('POST', '/v1/auth/refresh', undefined, { refreshToken: alice.refreshToken });
  await call('GET', '/v1/users/me', a);
  await call('GET', `/v1/users/${bob.user.id}`, a);
  await call('GET', `/v1/users?username=${bobName}`, a);
  const { room } = await call('POST', '/v1/rooms', a, { type: 'group', name: 'serialisation' });
  await call('POST', '/v1/rooms', a, { type: 'direct', memberIds: [bob.user.id] });
  await call('POST', `/v1/rooms/${room.id}/members`, a, { userId: bob.user.id });
  await call('PATCH', `/v1/rooms/${room.id}/members/${bob.user.id}`, a, { role: 'admin' });
  await call('GET', `/v1/rooms/${room.id}/members`, a);
  await call('GET', `/v1/rooms/${room.id}/presence`, a);
  await call('PATCH', `/v1/rooms/${room.id}`, a, { name: 'renamed' });
  const { message } = await call('POST', `/v1/rooms/${room.id}/messages`, b, { clientMsgId: 'm1', body: `hello @${alice.user.username}` });
  await call('POST', `/v1/rooms/${room.id}/messages`, b, { clientMsgId: 'm1', body: 'repeat' });
  await call('POST', `/v1/rooms/${room.id}/messages`, a, { clientMsgId: 'm2', body: 'to delete' });
  await call('PATCH', `/v1/rooms/${room.id}/messages/${message.id}`, b, { body: 'hello, edited' });
  const second = await call('GET', `/v1/rooms/${room.id}/messages?limit=1`, a);
  await call('DELETE', `/v1/rooms/${room.id}/messages/${second.messages[0].id}`, a);
  await call('GET', `/v1/rooms/${room.id}/messages`, a);
  await call('POST', `/v1/rooms/${room.id}/read`, a, { seq: 3 });
  await call('GET', '/v1/rooms', a);
  await call('GET', '/v1/rooms?limit=1', a);
  await call('GET', '/v1/search?q=edited', a);
  await call('GET', '/v1/notifications', a);
  await call('DELETE', `/v1/rooms/${room.id}/members/${bob.user.id}`, a);
  await call('GET', `/v1/rooms/${room.id}/events?after=0&limit=500`, a);
  await call('GET', `/v1/rooms/${room.id}`, a);
  await call('DELETE', `/v1/rooms/${room.id}`, a);
  await call('POST', '/v1/auth/logout', undefined, { refreshToken: pair.refreshToken });
  await call('GET', '/healthz');
  await call('GET', '/readyz');
  const notFound = await app.inject({ method: 'GET', url: `/v1/rooms/${room.id}`, headers: { authorization: `Bearer ${a}` } });
  t.equal(notFound.statusCode, 404, 'an error answer goes through its schema too');

  for (const s of seen) t.ok(isDeepStrictEqual(s.made, s.sent), `${s.route} ${s.status}: sent as made`, { made: s.made, sent: s.sent });
  const answered = new Set(seen.map((s) => s.route));
  const jsonRoutes = CONTRACT_ROUTES.filter((r) => r.url !== '/metrics' && Object.keys(r.schema.response).some((s) => s !== '204'));
  for (const r of jsonRoutes) t.ok(answered.has(`${r.method} ${r.url}`), `${r.method} ${r.url} was driven`);
  t.ok(seen.some((s) => s.status === 404), 'an error body was compared');
});
