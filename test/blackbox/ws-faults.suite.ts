import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import type { Test } from 'tap';
import { freePort } from '@chat/shared/testing/server-process';
import { eventually, sleep, type Body } from './client';
import { describeSeqs, isGapless, openWs, ownServer, type Ctx } from './harness';
import type { WsClient } from './ws-client';

/** A redis-server of this test's own, on its own port, that the test stops, kills and restarts. */
class OwnRedis {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(t: Test): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    t.teardown(() => redis.kill());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
    await eventually(() => this.ping(), (ok) => ok, 5000);
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = new Socket();
      s.setTimeout(300, () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(false));
      s.connect(this.port, '127.0.0.1', () => s.write('PING\r\n'));
      s.once('data', (d) => (s.destroy(), resolve(d.toString().startsWith('+PONG'))));
    });
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** kill -9, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
}

/**
 * Faults the WebSocket service must ride out: a Redis that goes away or stops
 * answering (mysql target: the test runs a Redis of its own), and a member's
 * removal racing with its replay and its subscribes.
 */
export function wsFaultsSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const ownRedisOnly = ctx.target === 'mysql' ? false : 'needs a Redis of its own: mysql target only';
  const eventSeqs = (frames: Body[], roomId: string) => frames.filter((f) => f.type === 'event' && f.roomId === roomId).map((f) => f.seq as number);

  t.test('Redis going away never takes the WebSocket service down; presence catches up once it is back', { skip: ownRedisOnly }, async (t) => {
    const redis = await OwnRedis.start(t);
    const own = await ownServer(t, ctx, { REDIS_URL: redis.url });
    const [s, b] = await own.api.users(2);
    const room = await own.api.group(s!, [b!.user.id]);
    const watcher = await openWs(t, own, s!.accessToken);
    await watcher.subscribe(room.id);
    await redis.kill();
    const sockets: WsClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await openWs(t, own, b!.accessToken);
      t.match(await c.ping(), { type: 'pong' }, `socket ${i} ready and answering with Redis gone`);
      sockets.push(c);
    }
    await sleep(1500); // ioredis gives up on the commands it queued: presence fails
    t.ok(sockets.every((c) => c.isOpen) && watcher.isOpen, 'every socket still open');
    t.equal((await fetch(`${await own.server.baseUrl}/healthz`)).status, 200, 'the process is up');
    // Frames that read membership wait for the store's Redis cache to give up: each is served, or answered UNAVAILABLE.
    sockets[0]!.send({ type: 'typing', roomId: room.id });
    sockets[1]!.send({ type: 'subscribe', roomId: room.id });
    const answered = (c: WsClient, pred: (f: Body) => boolean) => c.queue.some(pred) || c.queue.some((f) => f.type === 'error' && f.code === 'UNAVAILABLE' && f.roomId === room.id);
    await eventually(async () => answered(watcher, (f) => f.type === 'typing') || answered(sockets[0]!, () => false), (ok) => ok, 15_000);
    t.pass(`typing: ${watcher.queue.some((f) => f.type === 'typing') ? 'reached the co-member' : 'UNAVAILABLE'}`);
    await eventually(async () => answered(sockets[1]!, (f) => f.type === 'subscribed'), (ok) => ok, 15_000);
    t.pass(`subscribe: ${sockets[1]!.queue.some((f) => f.type === 'subscribed') ? 'subscribed' : 'UNAVAILABLE'}`);
    const m = await own.api.post(s!, room.id, 'while Redis is gone');
    t.match(await watcher.next((f) => f.type === 'event', 15_000), { seq: m.seq }, 'live events still flow');
    sockets[2]!.close();
    await sockets[2]!.closed;
    await redis.start();
    const online = await eventually(
      async () => (await own.api.ok(200, 'GET', `/v1/rooms/${room.id}/presence`, { token: s!.accessToken })).online as string[],
      (ids) => ids.includes(b!.user.id),
      20_000,
    );
    t.ok(online.includes(b!.user.id), 'b is online again once Redis is back');
    t.ok(sockets.slice(0, 2).every((c) => c.isOpen) && watcher.isOpen, 'and no socket was dropped');
  });

  t.test('Redis that stops answering: ready and ping at once; a subscribe is served late or UNAVAILABLE, and then replays everything once', { skip: ownRedisOnly }, async (t) => {
    const redis = await OwnRedis.start(t);
    const own = await ownServer(t, ctx, { REDIS_URL: redis.url });
    const s = await own.api.register();
    const room = await own.api.group(s);
    for (let i = 0; i < 5; i++) await own.api.post(s, room.id, `m${i}`);
    const lastSeq = (await own.api.room(s, room.id)).lastSeq as number;
    const c = await openWs(t, own, s.accessToken);
    redis.signal('SIGSTOP');
    t.teardown(() => redis.signal('SIGCONT'));
    const started = Date.now();
    const d = await openWs(t, own, s.accessToken);
    t.match(await d.ping(), { type: 'pong' });
    t.ok(Date.now() - started < 2000, `ready and pong without waiting for Redis (${Date.now() - started} ms)`);
    // Membership and lastSeq come through the store's Redis cache: it falls back to the database after
    // its own timeout, or the ws service's deadline answers UNAVAILABLE first. Either way nothing is half done.
    c.send({ type: 'subscribe', roomId: room.id, sinceSeq: 0 });
    const answer = await c.next((f) => f.roomId === room.id && f.type !== 'event', 20_000, 'the subscribe answer');
    t.ok(answer.type === 'subscribed' || (answer.type === 'error' && answer.code === 'UNAVAILABLE'), `subscribed or UNAVAILABLE (${JSON.stringify(answer)})`);
    t.match(await c.ping(), { type: 'pong' }, 'the socket is still served');
    redis.signal('SIGCONT');
    t.match(await c.subscribe(room.id, 0), { type: 'subscribed', lastSeq }, answer.type === 'subscribed' ? 'subscribing again' : 'the retry');
    await c.eventsUntil(room.id, lastSeq, 20_000);
    await sleep(300);
    const seqs = eventSeqs(c.received, room.id);
    t.ok(isGapless(seqs, 1, lastSeq), `1..${lastSeq} once each: ${describeSeqs(seqs)}`);
  });

  t.test('a member removed mid-replay gets every event up to its member.left, then unsubscribed, and nothing after', async (t) => {
    // Replays paced at 4 KiB/s: the removal lands while the replay is under way.
    const own = await ownServer(t, ctx, { WS_REPLAY_SOCKET_BYTES_PER_SECOND: '4096', WS_REPLAY_PAGE_BYTES: '1024' });
    const [s, b] = await own.api.users(2);
    const room = await own.api.group(s!, [b!.user.id]);
    for (let i = 0; i < 30; i++) await own.api.post(s!, room.id, `${i} ${'x'.repeat(500)}`);
    const c = await openWs(t, own, b!.accessToken);
    const { lastSeq } = await c.subscribe(room.id, 0);
    await c.eventsUntil(room.id, 5);
    t.ok(eventSeqs(c.received, room.id).length < lastSeq, 'the replay is under way');
    await own.api.ok(204, 'DELETE', `/v1/rooms/${room.id}/members/${b!.user.id}`, { token: s!.accessToken });
    for (let i = 0; i < 3; i++) await own.api.post(s!, room.id, `after ${i}`);
    const unsubscribed = await c.next((f) => f.type === 'unsubscribed', 30_000, 'unsubscribed');
    t.match(unsubscribed, { roomId: room.id, reason: 'removed' });
    const events = c.received.filter((f) => f.type === 'event');
    const seqs = events.map((f) => f.seq as number);
    t.ok(isGapless(seqs, 1, lastSeq + 1), `1..${lastSeq + 1}: ${describeSeqs(seqs)}`);
    t.match(events.at(-1), { seq: lastSeq + 1, event: { type: 'member.left', userId: b!.user.id } }, 'the last event is its member.left');
    await sleep(300);
    t.equal(c.received.at(-1), unsubscribed, 'nothing after unsubscribed');
    for (const since of [undefined, 0, lastSeq + 1]) {
      t.match(await c.subscribe(room.id, since), { type: 'error', code: 'NOT_FOUND' }, `subscribe again (sinceSeq ${since})`);
    }
    await sleep(200);
    t.same(eventSeqs(c.received, room.id).filter((x) => x > lastSeq + 1), [], 'no event after the member.left, ever');
  });

  t.test('removals racing with subscribes: never an event after the member.left; a subscribed is always followed by unsubscribed', async (t) => {
    const [s, b] = await a.users(2);
    const rooms: Body[] = [];
    for (let i = 0; i < 8; i++) rooms.push(await a.group(s!, [b!.user.id], `race ${i}`));
    for (const room of rooms) await a.post(s!, room.id, 'before');
    const c = await openWs(t, ctx, b!.accessToken);
    await Promise.all(rooms.map(async (room, i) => {
      c.send({ type: 'subscribe', roomId: room.id, ...(i % 2 ? { sinceSeq: 0 } : {}) });
      await a.ok(204, 'DELETE', `/v1/rooms/${room.id}/members/${b!.user.id}`, { token: s!.accessToken });
      await a.post(s!, room.id, 'after');
    }));
    for (const room of rooms) {
      const left = (await a.timeline(s!, room.id)).find((e) => e.type === 'member.left' && e.userId === b!.user.id);
      const about = () => c.received.filter((f) => f.roomId === room.id && f.type !== 'event').map((f) => f.type as string);
      const answers = await eventually(async () => about(), (x) => x.includes('error') || x.includes('unsubscribed'), 5000);
      t.ok(answers[0] === 'error' ? answers.length === 1 : answers.join() === 'subscribed,unsubscribed', `${answers.join()}`);
      t.same(eventSeqs(c.received, room.id).filter((x) => x > left!.seq), [], 'nothing after the member.left');
    }
  });
}
