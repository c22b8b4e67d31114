// The pieces a browser page needs on top of the reconnecting socket: sends over
// HTTP while the socket is down, and following the browser's online/offline events.
import t from 'tap';
import { ChatApiError } from '../src/errors';
import { RealtimeClient } from '../src/realtime';

import { FakeSocket, nextSocket, tick } from './support/scripted-socket';

const tokens = { getAccessToken: async () => 'tok', refresh: async () => 'tok2' };

function fakeHttp(failures: unknown[] = []) {
  const posts: Array<{ roomId: string; body: string; clientMsgId: string }> = [];
  return {
    posts,
    postMessage: async (roomId: string, body: string, clientMsgId: string) => {
      posts.push({ roomId, body, clientMsgId });
      const failure = failures.shift();
      if (failure) throw failure;
      return { id: `m-${clientMsgId}`, seq: 40 + posts.length };
    },
  };
}

function client(extra: Record<string, unknown> = {}) {
  FakeSocket.all = [];
  return new RealtimeClient({ url: 'ws://chat.test/v1/ws', tokens, WebSocket: FakeSocket, backoff: { initialMs: 1, maxMs: 5 }, pingIntervalMs: 0, ...extra });
}

t.test('a send while the socket is down goes over HTTP with the same clientMsgId, retried after a network failure', { timeout: 5000 }, async (t) => {
  const http = fakeHttp([new TypeError('Failed to fetch'), new ChatApiError(503, 'UNAVAILABLE', 'busy')]);
  const c = client({ httpFallback: http });
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u' });
  s1.serverClose(1006);
  t.equal(c.state, 'reconnecting');
  const sent = c.send('r', 'from the tunnel', { clientMsgId: 'c-1' });
  const ack = await sent;
  t.same(ack, { roomId: 'r', clientMsgId: 'c-1', messageId: 'm-c-1', seq: 43 }, 'settled by the HTTP answer');
  t.equal(http.posts.length, 3, 'two failures, then stored');
  t.ok(http.posts.every((p) => p.clientMsgId === 'c-1' && p.body === 'from the tunnel' && p.roomId === 'r'), 'every try with the same clientMsgId');
  c.close();
});

t.test('pending sends move to HTTP when the socket drops; a permanent refusal rejects; no HTTP while the socket is ready', { timeout: 5000 }, async (t) => {
  const http = fakeHttp([undefined, new ChatApiError(403, 'FORBIDDEN', 'not a member')]);
  const c = client({ httpFallback: http });
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u' });
  const p1 = c.send('r', 'one', { clientMsgId: 'c-1' });
  t.equal(s1.frames('send').length, 1, 'over the socket while it is ready');
  t.equal(http.posts.length, 0, 'not over HTTP');
  s1.serverClose(1006); // no ack yet
  t.same(await p1, { roomId: 'r', clientMsgId: 'c-1', messageId: 'm-c-1', seq: 41 });
  const p2 = c.send('gone', 'two', { clientMsgId: 'c-2' });
  await t.rejects(p2, { status: 403, code: 'FORBIDDEN' }, 'a 4xx other than 401/408/429 is final');
  const s2 = await nextSocket(2);
  s2.recv({ type: 'ready', userId: 'u' });
  t.same(s2.frames('send'), [], 'settled sends are not sent again on the new socket');
  c.close();
});

t.test('send({timeoutMs: Infinity}) never times out: it waits for the socket and is sent on reconnect', { timeout: 5000 }, async (t) => {
  const c = client({ sendTimeoutMs: 20 });
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u' });
  s1.serverClose(1006);
  const p = c.send('r', 'patient', { timeoutMs: Number.POSITIVE_INFINITY, clientMsgId: 'c-9' });
  await tick(60);
  const s2 = await nextSocket(2);
  s2.recv({ type: 'ready', userId: 'u' });
  t.same(s2.frames('send'), [{ type: 'send', roomId: 'r', clientMsgId: 'c-9', body: 'patient' }]);
  s2.recv({ type: 'ack', roomId: 'r', clientMsgId: 'c-9', messageId: 'm9', seq: 9 });
  t.equal((await p).seq, 9);
  c.close();
});

t.test('networkDown drops the socket at once and stops reconnecting; networkUp reconnects at once and resubscribes', { timeout: 5000 }, async (t) => {
  const c = client({ backoff: { initialMs: 10_000, maxMs: 10_000 } });
  const disconnects: number[] = [];
  c.on('disconnect', (d) => disconnects.push(d.code));
  let readies = 0;
  c.on('ready', () => readies++);
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u' });
  void c.subscribe('r', { sinceSeq: 3 });
  s1.recv({ type: 'subscribed', roomId: 'r', lastSeq: 3 });
  s1.recv({ type: 'event', roomId: 'r', seq: 4, event: { seq: 4, type: 'message.posted', roomId: 'r', actorId: 'x', occurredAt: 'now' } });
  c.networkDown();
  t.equal(c.state, 'reconnecting');
  t.ok(c.networkOffline);
  t.same(disconnects, [4004]);
  s1.recv({ type: 'event', roomId: 'r', seq: 5, event: {} }); // a late frame of the dropped socket
  t.equal(c.lastSeq('r'), 4, 'the dropped socket is ignored');
  await tick(40);
  t.equal(FakeSocket.all.length, 1, 'no reconnect attempt while offline');
  c.networkUp();
  const s2 = await nextSocket(2);
  t.equal(s2.sent[0]?.type, 'auth');
  s2.recv({ type: 'ready', userId: 'u' });
  t.same(s2.frames('subscribe'), [{ type: 'subscribe', roomId: 'r', sinceSeq: 4 }], 'resumes from the last delivered seq');
  t.equal(readies, 2, 'ready fires on every (re)connect: the page re-syncs there');
  c.close();
});

t.test('watchBrowserNetwork follows the window\'s offline/online events and lets go of them on close', { timeout: 5000 }, async (t) => {
  const g = globalThis as Record<string, unknown>;
  const target = new EventTarget();
  const saved = { add: g.addEventListener, remove: g.removeEventListener };
  g.addEventListener = target.addEventListener.bind(target);
  g.removeEventListener = target.removeEventListener.bind(target);
  t.teardown(() => {
    g.addEventListener = saved.add;
    g.removeEventListener = saved.remove;
  });
  const c = client({ watchBrowserNetwork: true, backoff: { initialMs: 10_000, maxMs: 10_000 } });
  void c.connect();
  const s1 = await nextSocket(1);
  s1.recv({ type: 'ready', userId: 'u' });
  target.dispatchEvent(new Event('offline'));
  t.equal(c.state, 'reconnecting', 'offline: the socket is dropped');
  target.dispatchEvent(new Event('online'));
  const s2 = await nextSocket(2);
  s2.recv({ type: 'ready', userId: 'u' });
  t.equal(c.state, 'ready', 'online: back at once, not after the 10 s backoff');
  c.close();
  target.dispatchEvent(new Event('offline'));
  t.equal(c.state, 'closed');
  t.notOk(c.networkOffline, 'a closed client no longer listens');
});
