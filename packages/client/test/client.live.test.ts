// The client against a live embedded server (SQLite in a temp dir, in-memory bus; no MariaDB/Redis/Kafka).
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { chatServer, type ChatServer } from '../../../shared/src/testing/chat-server';
import { ChatApiError } from '../src/errors';
import { ChatHttpClient, unwrap } from '../src/http';
import { RealtimeClient, type RealtimeOptions, type RoomEvent, type WebSocketLike } from '../src/realtime';
import type { StoredTokens } from '../src/session';

const FAST_HASH = { PASSWORD_HASH_LOG_N: '10' };

/** A `ws` socket behind the WebSocketLike interface that records frames both ways and can swallow incoming ones. */
function probeClass() {
  return class Probe implements WebSocketLike {
    static all: Probe[] = [];
    readonly inner: WebSocket;
    readonly sent: Array<Record<string, any>> = [];
    readonly received: Array<Record<string, any>> = [];
    /** Incoming frames for which this answers true never reach the client. */
    drop: ((f: Record<string, any>) => boolean) | undefined;
    onopen: ((ev: any) => void) | null = null;
    onmessage: ((ev: any) => void) | null = null;
    onclose: ((ev: any) => void) | null = null;
    onerror: ((ev: any) => void) | null = null;
    constructor(url: string) {
      Probe.all.push(this);
      this.inner = new WebSocket(url);
      this.inner.onopen = (e) => this.onopen?.(e);
      this.inner.onmessage = (e) => {
        const f = JSON.parse(String(e.data));
        this.received.push(f);
        if (!this.drop?.(f)) this.onmessage?.({ data: String(e.data) });
      };
      this.inner.onclose = (e) => this.onclose?.({ code: e.code, reason: e.reason });
      this.inner.onerror = (e) => this.onerror?.(e);
    }
    get readyState(): number {
      return this.inner.readyState;
    }
    send(data: string): void {
      this.sent.push(JSON.parse(data));
      this.inner.send(data);
    }
    close(code?: number, reason?: string): void {
      this.inner.close(code, reason);
    }
    /** Abnormal close underneath the client (no close frame): it sees 1006. */
    terminate(): void {
      this.inner.terminate();
    }
  };
}

async function waitFor(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let userN = 0;
const uname = (p: string) => `${p}${Date.now().toString(36)}${userN++}`.slice(0, 32);

async function startServer(env: Record<string, string> = {}): Promise<ChatServer> {
  const server = chatServer('embedded', { ...FAST_HASH, ...env });
  t.teardown(() => server.stop());
  await server.start();
  return server;
}

async function user(server: ChatServer, name: string): Promise<ChatHttpClient> {
  const http = new ChatHttpClient({ baseUrl: await server.baseUrl });
  await http.register({ username: uname(name), password: 'correct horse battery' });
  return http;
}

async function realtime(t: Test, server: ChatServer, http: ChatHttpClient, extra: Partial<RealtimeOptions> = {}) {
  const Probe = probeClass();
  const rt = new RealtimeClient({
    url: await server.wsUrl,
    tokens: http.session,
    WebSocket: Probe,
    backoff: { initialMs: 100, maxMs: 1000 },
    ...extra,
  });
  const disconnects: number[] = [];
  rt.on('disconnect', (d) => disconnects.push(d.code));
  t.teardown(() => rt.close());
  return { rt, Probe, disconnects };
}

const messageSeqs = (evs: RoomEvent[]) => evs.filter((e) => e.event.type === 'message.posted').map((e) => e.seq);
const isRun = (seqs: number[]) => seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);

t.test('live: embedded server', { timeout: 180_000 }, async (t) => {
  const server = await startServer();

  t.test('HTTP: register, create a room, post; errors are ChatApiError', { timeout: 30_000 }, async (t) => {
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    const bobId = (await bob.me()).id;
    t.ok(alice.session.tokens?.accessToken, 'register stored the session');
    const room = await alice.createRoom({ type: 'group', name: 'general', memberIds: [bobId] });
    t.equal(room.memberCount, 2);
    const m1 = await alice.postMessage(room.id, 'hello over HTTP', 'http-1');
    const again = await alice.postMessage(room.id, 'a repeat', 'http-1');
    t.same([again.id, again.seq], [m1.id, m1.seq], 'same clientMsgId: same message');
    const page = await bob.listMessages(room.id);
    t.same(page.messages.map((m) => m.body), ['hello over HTTP']);
    const err = await alice.postMessage(room.id, '   ').catch((e: unknown) => e);
    t.ok(err instanceof ChatApiError, 'a 400 is a ChatApiError');
    t.match(err, { status: 400, code: 'VALIDATION_FAILED', field: 'body' });
    await t.rejects(alice.getRoom('no-such-room'), { name: 'ChatApiError', status: 404, code: 'NOT_FOUND' });
    // An access token the server refuses (401) with a good refresh token: the middleware refreshes once and repeats the call.
    const good = alice.session.tokens!;
    const saved: string[] = [];
    const revived = new ChatHttpClient({ baseUrl: await server.baseUrl, onTokens: (p) => p && saved.push(p.refreshToken) });
    revived.session.setTokens({ accessToken: 'not.a.jwt', refreshToken: good.refreshToken, expiresIn: 900 });
    saved.length = 0;
    t.equal((await revived.me()).id, (await alice.me()).id, 'a 401 is refreshed and repeated');
    t.equal(saved.length, 1, 'one refresh, stored');
    t.not(saved[0], good.refreshToken, 'a new refresh token');
    await t.rejects(alice.session.refresh(), { status: 401, code: 'UNAUTHENTICATED' }, 'the old refresh token no longer works (and that revokes the login)');
    t.equal(alice.session.tokens, undefined, 'a refresh refused with 401 clears the session');
    const stranger = new ChatHttpClient({ baseUrl: await server.baseUrl });
    await t.rejects(stranger.me(), { status: 401, code: 'UNAUTHENTICATED' }, 'no session: 401');
  });

  t.test('realtime: two clients, events in order through the async iterator, acks', { timeout: 30_000 }, async (t) => {
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    const room = await alice.createRoom({ type: 'group', name: 'rt', memberIds: [(await bob.me()).id] });
    const a = await realtime(t, server, alice);
    const b = await realtime(t, server, bob);
    const presence: string[] = [];
    const notifications: number[] = [];
    b.rt.on('presence', (p) => presence.push(`${p.userId}:${p.status}`));
    b.rt.on('notification', (n) => notifications.push(n.seq));
    await b.rt.connect();
    t.equal(b.Probe.all[0]!.sent[0]!.type, 'auth', 'authenticates with the first frame (browser-safe)');
    const it = b.rt.events(room.id);
    const sub = await b.rt.subscribe(room.id);
    t.equal(sub.lastSeq, room.lastSeq);
    await a.rt.connect();
    await a.rt.subscribe(room.id);
    const aliceId = (await alice.me()).id;
    await waitFor('presence', () => presence.includes(`${aliceId}:online`), 3000);
    const typing: string[] = [];
    b.rt.on('typing', (ev) => typing.push(ev.userId));
    a.rt.typing(room.id);
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => a.rt.send(room.id, `m${i}`)));
    const got: RoomEvent[] = [];
    for await (const ev of it) {
      got.push(ev);
      if (got.length === 20) break;
    }
    t.same(got.map((e) => e.seq), acks.map((x) => x.seq), 'bob receives exactly the acked seqs, in order');
    t.ok(isRun(got.map((e) => e.seq)), 'consecutive seqs');
    t.same(got.map((e) => (e.event as any).message.body), Array.from({ length: 20 }, (_, i) => `m${i}`));
    await waitFor('typing', () => typing.length > 0, 3000);
    t.same(typing, [aliceId], 'typing from the other user');
    const mention = await a.rt.send(room.id, `hey @${(await bob.me()).username}`);
    await waitFor('notification', () => notifications.length > 0, 3000);
    t.same(notifications, [mention.seq], 'a mention arrives as a notification');
  });

  t.test('realtime: a socket dropped underneath (1006) reconnects, resubscribes with sinceSeq, no gap, no repeat', { timeout: 30_000 }, async (t) => {
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    const room = await alice.createRoom({ type: 'group', name: 'drop', memberIds: [(await bob.me()).id] });
    const b = await realtime(t, server, bob, { backoff: { initialMs: 400, maxMs: 1000 } });
    await b.rt.connect();
    const got: RoomEvent[] = [];
    b.rt.onRoom(room.id, (e) => got.push(e));
    await b.rt.subscribe(room.id);
    for (let i = 0; i < 5; i++) await alice.postMessage(room.id, `before ${i}`);
    await waitFor('5 events', () => got.length === 5);
    const lastBefore = got.at(-1)!.seq;
    b.Probe.all[0]!.terminate();
    // Posted while bob is away: only a replay from sinceSeq can bring them.
    for (let i = 0; i < 10; i++) await alice.postMessage(room.id, `during ${i}`);
    await waitFor('second socket', () => b.Probe.all.length === 2 && b.rt.state === 'ready');
    for (let i = 0; i < 5; i++) await alice.postMessage(room.id, `after ${i}`);
    await waitFor('20 events', () => got.length >= 20);
    await sleep(200);
    t.same(b.disconnects, [1006]);
    t.same(b.Probe.all[1]!.sent.find((f) => f.type === 'subscribe'), { type: 'subscribe', roomId: room.id, sinceSeq: lastBefore }, 'resubscribed from the last delivered seq');
    const seqs = got.map((e) => e.seq);
    t.equal(seqs.length, 20, 'nothing repeated');
    t.ok(isRun(seqs), `no gap: ${seqs.join(',')}`);
    t.same(got.map((e) => (e.event as any).message.body).slice(5, 15), Array.from({ length: 10 }, (_, i) => `during ${i}`));
  });

  t.test('realtime: a send whose ack was lost is retried after the reconnect with the same clientMsgId; one message', { timeout: 30_000 }, async (t) => {
    const alice = await user(server, 'alice');
    const room = await alice.createRoom({ type: 'group', name: 'retry' });
    const a = await realtime(t, server, alice);
    await a.rt.connect();
    const first = a.Probe.all[0]!;
    first.drop = (f) => f.type === 'ack'; // the server stores it, the ack never arrives
    const acked = a.rt.send(room.id, 'exactly once');
    await waitFor('the ack the client did not see', () => first.received.some((f) => f.type === 'ack'));
    const sentId = first.sent.find((f) => f.type === 'send')!.clientMsgId;
    first.terminate();
    const ack = await acked;
    t.equal(ack.clientMsgId, sentId);
    const resent = a.Probe.all[1]!.sent.filter((f) => f.type === 'send');
    t.same(resent.map((f) => f.clientMsgId), [sentId], 'resent on the new socket with the same clientMsgId');
    t.equal(ack.messageId, first.received.find((f) => f.type === 'ack')!.messageId, 'the ack names the message stored the first time');
    const page = await alice.listMessages(room.id);
    t.same(page.messages.map((m) => [m.clientMsgId, m.body]), [[sentId, 'exactly once']], 'one message');
    await t.rejects(a.rt.send(room.id, ''), { code: 'VALIDATION_FAILED' }, 'a non-retryable error rejects');
    await t.rejects(a.rt.send('0190a5f4-7b1c-7cc0-8a2e-3f1d2c4b5a60', 'x'), { code: 'NOT_FOUND' });
  });

  t.test('realtime: removal from the room ends its iterator and is announced', { timeout: 30_000 }, async (t) => {
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    const bobId = (await bob.me()).id;
    const room = await alice.createRoom({ type: 'group', name: 'leave', memberIds: [bobId] });
    const b = await realtime(t, server, bob);
    await b.rt.connect();
    const gone: string[] = [];
    b.rt.on('unsubscribed', (u) => gone.push(`${u.roomId}:${u.reason}`));
    const it = b.rt.events(room.id);
    await b.rt.subscribe(room.id);
    await alice.postMessage(room.id, 'bye');
    unwrap(await alice.raw.DELETE('/v1/rooms/{roomId}/members/{userId}', { params: { path: { roomId: room.id, userId: bobId } } }));
    const types: string[] = [];
    for await (const ev of it) types.push(ev.event.type);
    t.same(types, ['message.posted', 'member.left'], 'the iterator ends after member.left');
    t.same(gone, [`${room.id}:removed`]);
    await t.rejects(b.rt.subscribe(room.id), { code: 'NOT_FOUND' }, 'subscribing again: NOT_FOUND');
  });

  t.test('realtime: server restart (1001, then refused connections) resumes with no gap and no repeat', { timeout: 30_000 }, async (t) => {
    const alice = await user(server, 'alice');
    const bob = await user(server, 'bob');
    const room = await alice.createRoom({ type: 'group', name: 'restart', memberIds: [(await bob.me()).id] });
    const b = await realtime(t, server, bob, { backoff: { initialMs: 100, maxMs: 500 } });
    await b.rt.connect();
    const it = b.rt.events(room.id);
    await b.rt.subscribe(room.id);
    await alice.postMessage(room.id, 'one');
    await server.stop();
    await server.start();
    await alice.postMessage(room.id, 'two');
    await alice.postMessage(room.id, 'three');
    const bodies: string[] = [];
    const seqs: number[] = [];
    for await (const ev of it) {
      if (ev.event.type !== 'message.posted') continue;
      bodies.push((ev.event as any).message.body);
      seqs.push(ev.seq);
      if (bodies.length === 3) break;
    }
    t.same(bodies, ['one', 'two', 'three']);
    t.ok(isRun(seqs), `seqs ${seqs.join(',')}`);
    t.equal(b.disconnects[0], 1001, `the server said going away (${b.disconnects.join(',')})`);
    t.ok(b.Probe.all.length >= 2, `reconnected (${b.Probe.all.length} sockets)`);
    t.equal(b.rt.state, 'ready');
  });
});

t.test('live: access tokens of 5 s', { timeout: 120_000 }, async (t) => {
  const server = await startServer({ ACCESS_TOKEN_TTL_SECONDS: '5' });
  const alice = await user(server, 'alice');
  const room = await alice.createRoom({ type: 'group', name: 'ttl' });
  const pairs: StoredTokens[] = [];
  alice.session.onTokens((p) => p && pairs.push(p));

  // Control: the same socket without refresh is closed with 4401 at expiry (the server does expire tokens).
  const firstToken = alice.session.tokens!.accessToken;
  const staleProvider = { getAccessToken: async () => firstToken };
  const c = await realtime(t, server, alice, { tokens: staleProvider, maxAuthFailures: 1 });

  const a = await realtime(t, server, alice);
  await Promise.all([a.rt.connect(), c.rt.connect()]);
  const got: RoomEvent[] = [];
  a.rt.onRoom(room.id, (e) => got.push(e));
  await a.rt.subscribe(room.id);
  await sleep(8000);
  t.same(c.disconnects, [4401], 'without refresh: closed 4401');
  t.equal(c.rt.state, 'closed', 'and maxAuthFailures: 1 stops it');
  t.same(a.disconnects, [], 'with refresh: never closed');
  t.equal(a.Probe.all.length, 1, 'one socket all along');
  t.ok(a.Probe.all[0]!.sent.filter((f) => f.type === 'auth').length >= 2, 'a fresh auth frame went out on the open socket');
  t.ok(pairs.length >= 1, `onTokens saw ${pairs.length} new pair(s)`);
  t.equal(new Set(pairs.map((p) => p.refreshToken)).size, pairs.length, 'each refresh gave a new refresh token');
  const ack = await a.rt.send(room.id, 'after expiry');
  await waitFor('the event', () => got.some((e) => e.seq === ack.seq), 3000);
  await alice.postMessage(room.id, 'http after expiry'); // the bearer middleware uses the refreshed token
  t.equal(a.Probe.all.length, 1);
});

t.test('live: a reader too slow for WS_MAX_BUFFERED_BYTES is closed with 1013 and resumes with no gap, no repeat', { timeout: 120_000 }, async (t) => {
  const server = await startServer({ WS_MAX_BUFFERED_BYTES: '1024' });
  const alice = await user(server, 'alice');
  const bob = await user(server, 'bob');
  const room = await alice.createRoom({ type: 'group', name: 'slow', memberIds: [(await bob.me()).id] });
  const b = await realtime(t, server, bob);
  await b.rt.connect();
  const seqs: number[] = [];
  b.rt.onRoom(room.id, (e) => e.event.type === 'message.posted' && seqs.push(e.seq));
  await b.rt.subscribe(room.id);
  // Bob stops reading; ~4.7 MB of events fill the kernel buffers and then the server's 1 KiB allowance.
  b.Probe.all[0]!.inner.pause();
  const body = 'x'.repeat(3900);
  const total = 1200;
  for (let i = 0; i < total; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => alice.postMessage(room.id, `${i + j} ${body}`)));
  b.Probe.all[0]!.inner.resume();
  await waitFor(`${total} messages (have ${seqs.length})`, () => seqs.length >= total, 90_000);
  await sleep(300);
  t.equal(b.disconnects[0], 1013, `closed as a slow reader (${b.disconnects.join(',')})`);
  const resub = b.Probe.all[1]?.sent.find((f) => f.type === 'subscribe');
  t.ok(resub && typeof resub.sinceSeq === 'number', `resubscribed with sinceSeq (${JSON.stringify(resub)})`);
  t.equal(seqs.length, total, 'every message once');
  t.ok(isRun(seqs), 'in order, no gap');
});

t.test('live: a socket beyond WS_MAX_SOCKETS_PER_USER (1008) is retried a bounded number of times, then surfaced', { timeout: 60_000 }, async (t) => {
  const server = await startServer({ WS_MAX_SOCKETS_PER_USER: '1', RATE_LIMIT_ENABLED: 'true' }) // the socket cap is off with the rate limits;
  const alice = await user(server, 'alice');
  const first = await realtime(t, server, alice);
  await first.rt.connect();
  const second = await realtime(t, server, alice, { maxAuthFailures: 3, backoff: { initialMs: 50, maxMs: 200 } });
  const errors: string[] = [];
  second.rt.on('error', (e) => errors.push(e.code));
  await t.rejects(second.rt.connect(), { name: 'ChatApiError', code: 'TOO_MANY_SOCKETS' });
  t.same(second.disconnects, [1008, 1008, 1008]);
  t.equal(second.Probe.all.length, 3, 'three attempts, then it stopped');
  t.ok(errors.includes('RATE_LIMITED') && errors.at(-1) === 'TOO_MANY_SOCKETS', `errors surfaced: ${errors.join(',')}`);
  await sleep(500);
  t.equal(second.Probe.all.length, 3, 'no attempt after giving up');
  t.equal(first.rt.state, 'ready', 'the first socket is untouched');
});
