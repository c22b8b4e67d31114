import t from 'tap';
import { RealtimeClient, type RoomEvent } from '../src/realtime';
import type { TokenProvider } from '../src/session';
import { FakeSocket, nextSocket, tick } from './support/scripted-socket';

function tokens(): TokenProvider & { refreshes: number } {
  const p = {
    refreshes: 0,
    getAccessToken: async () => `token-${p.refreshes}`,
    refresh: async () => `token-${++p.refreshes}`,
  };
  return p;
}

function client(tp: TokenProvider = tokens(), extra = {}) {
  FakeSocket.all = [];
  return new RealtimeClient({ url: 'ws://chat.test/v1/ws', tokens: tp, WebSocket: FakeSocket, backoff: { initialMs: 1, maxMs: 5 }, pingIntervalMs: 0, ...extra });
}

const ev = (roomId: string, seq: number) => ({ type: 'event', roomId, seq, event: { seq, type: 'message.posted', roomId, actorId: 'u', occurredAt: 'now' } });

t.test('auth frame first, resubscribe from the last delivered seq after a drop, duplicates and replays not delivered twice', { timeout: 5000 }, async (t) => {
  const c = client();
  const got: number[] = [];
  c.onRoom('r1', (e: RoomEvent) => got.push(e.seq));
  const ready = c.connect();
  const s1 = await nextSocket(1);
  t.same(s1.sent[0], { type: 'auth', token: 'token-0' }, 'the first frame authenticates');
  s1.recv({ type: 'ready', userId: 'u1' });
  await ready;
  const sub = c.subscribe('r1');
  t.same(s1.frames('subscribe'), [{ type: 'subscribe', roomId: 'r1' }], 'first subscribe: live only');
  s1.recv({ type: 'subscribed', roomId: 'r1', lastSeq: 4 });
  t.same(await sub, { roomId: 'r1', lastSeq: 4 });
  s1.recv(ev('r1', 4)); // at or below the subscribed lastSeq: not new
  s1.recv(ev('r1', 5));
  s1.recv(ev('r1', 6));
  s1.recv(ev('r1', 6));
  s1.serverClose(1006);
  const s2 = await nextSocket(2);
  t.equal(s2.sent[0]?.type, 'auth', 'reconnect authenticates first');
  s2.recv({ type: 'ready', userId: 'u1' });
  t.same(s2.frames('subscribe'), [{ type: 'subscribe', roomId: 'r1', sinceSeq: 6 }], 'resubscribes with sinceSeq = last delivered');
  s2.recv({ type: 'subscribed', roomId: 'r1', lastSeq: 8 });
  for (const seq of [5, 6, 7, 8]) s2.recv(ev('r1', seq));
  t.same(got, [5, 6, 7, 8], 'each seq once, in order');
  t.equal(c.lastSeq('r1'), 8);
  c.close();
});

t.test('a gap is never delivered: the client reconnects and asks again from the last seq', { timeout: 5000 }, async (t) => {
  const c = client();
  const got: number[] = [];
  c.on('event', (e) => got.push(e.seq));
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u1' });
  void c.subscribe('r', { sinceSeq: 2 });
  t.same(s1.frames('subscribe')[0], { type: 'subscribe', roomId: 'r', sinceSeq: 2 });
  s1.recv({ type: 'subscribed', roomId: 'r', lastSeq: 9 });
  s1.recv(ev('r', 3));
  s1.recv(ev('r', 5));
  const s2 = await nextSocket(2);
  s2.recv({ type: 'ready', userId: 'u1' });
  t.same(s2.frames('subscribe')[0], { type: 'subscribe', roomId: 'r', sinceSeq: 3 });
  s2.recv(ev('r', 4));
  s2.recv(ev('r', 5));
  t.same(got, [3, 4, 5]);
  c.close();
});

t.test('1008 (too many sockets) is retried a bounded number of times, then surfaced', { timeout: 5000 }, async (t) => {
  const c = client(tokens(), { maxAuthFailures: 3 });
  const errors: string[] = [];
  c.on('error', (e) => errors.push(e.code));
  const ready = c.connect();
  const pending = c.send('r', 'hello');
  for (let n = 1; n <= 3; n++) {
    const s = await nextSocket(n);
    s.recv({ type: 'error', code: 'RATE_LIMITED', message: 'too many sockets' });
    s.serverClose(1008, 'too many sockets');
  }
  await t.rejects(ready, { code: 'TOO_MANY_SOCKETS' });
  await t.rejects(pending, { code: 'TOO_MANY_SOCKETS' }, 'pending sends are rejected, not left hanging');
  await tick(50);
  t.equal(FakeSocket.all.length, 3, 'no fourth socket');
  t.equal(c.state, 'closed');
  t.ok(errors.includes('TOO_MANY_SOCKETS'));
});

t.test('4401 refreshes the token before reconnecting; repeated 4401 after refreshes gives up', { timeout: 5000 }, async (t) => {
  const tp = tokens();
  const c = client(tp, { maxAuthFailures: 3 });
  const ready = c.connect();
  const s1 = await nextSocket(1);
  t.same(s1.sent[0], { type: 'auth', token: 'token-0' });
  s1.serverClose(4401, 'invalid token');
  const s2 = await nextSocket(2);
  t.same(s2.sent[0], { type: 'auth', token: 'token-1' }, 'refreshed before reconnecting');
  s2.recv({ type: 'ready', userId: 'u' });
  await ready;
  s2.serverClose(4401, 'access token expired');
  const s3 = await nextSocket(3);
  t.same(s3.sent[0], { type: 'auth', token: 'token-2' });
  s3.serverClose(4401);
  await tick(50);
  t.equal(c.state, 'closed', 'third 4401 in a row: gave up');
  t.equal(FakeSocket.all.length, 3);
  t.equal(tp.refreshes, 2);
});

t.test('a refresh refused with 401 ends the client (no spinning on a dead session)', { timeout: 5000 }, async (t) => {
  const tp = { getAccessToken: async () => 'old', refresh: async () => Promise.reject(Object.assign(new (await import('../src/errors')).ChatApiError(401, 'UNAUTHENTICATED', 'refresh token reused'))) };
  const c = client(tp);
  const ready = c.connect();
  (await nextSocket(1)).serverClose(4401);
  await t.rejects(ready, { code: 'AUTH_FAILED' });
  t.equal(FakeSocket.all.length, 1);
});

t.test('send: same clientMsgId across reconnects and retryable errors; non-retryable errors reject', { timeout: 5000 }, async (t) => {
  const c = client();
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u' });
  const p = c.send('r', 'hi');
  const [first] = s1.frames('send');
  t.match(first, { type: 'send', roomId: 'r', body: 'hi', clientMsgId: /^[0-9a-f-]{36}$/ });
  s1.recv({ type: 'error', code: 'UNAVAILABLE', message: 'try later', roomId: 'r', clientMsgId: first!.clientMsgId });
  await tick(30);
  t.equal(s1.frames('send').length, 2, 'retried after UNAVAILABLE');
  t.equal(s1.frames('send')[1]!.clientMsgId, first!.clientMsgId, 'with the same clientMsgId');
  s1.serverClose(1001, 'going away');
  const s2 = await nextSocket(2);
  s2.recv({ type: 'ready', userId: 'u' });
  t.same(s2.frames('send'), [first], 'resent on the new socket, same frame');
  s2.recv({ type: 'ack', roomId: 'r', clientMsgId: first!.clientMsgId, messageId: 'm1', seq: 7 });
  t.same(await p, { roomId: 'r', clientMsgId: first!.clientMsgId, messageId: 'm1', seq: 7 });

  const bad = c.send('r', 'x'.repeat(5000), { clientMsgId: 'mine-1' });
  s2.recv({ type: 'error', code: 'VALIDATION_FAILED', message: 'body too long', roomId: 'r', clientMsgId: 'mine-1' });
  await t.rejects(bad, { name: 'ChatApiError', code: 'VALIDATION_FAILED' });
  await tick(30);
  t.equal(s2.frames('send').filter((f) => f.clientMsgId === 'mine-1').length, 1, 'not retried');

  const slow = c.send('r', 'never acked', { timeoutMs: 40 });
  await t.rejects(slow, { code: 'TIMEOUT' });
  c.close();
  await t.rejects(c.send('r', 'late'), { code: 'CLOSED' });
});

t.test('unsubscribed by the server ends that room\'s iterator; events() yields in order', { timeout: 5000 }, async (t) => {
  const c = client();
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u' });
  const it = c.events('r');
  void c.subscribe('r');
  s1.recv({ type: 'subscribed', roomId: 'r', lastSeq: 0 });
  for (const seq of [1, 2, 3]) s1.recv(ev('r', seq));
  s1.recv(ev('other', 1));
  s1.recv({ type: 'unsubscribed', roomId: 'r', reason: 'removed' });
  const seqs: number[] = [];
  for await (const e of it) seqs.push(e.seq);
  t.same(seqs, [1, 2, 3]);
  c.close();
});
