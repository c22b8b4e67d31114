import type { Socket } from 'node:net';
import type { Test } from 'tap';
import WebSocket from 'ws';
import { cmid, eventually, sleep, type Session } from './client';
import { describeSeqs, isGapless, openWs, ownServer, rawWs, type Ctx } from './harness';
import type { WsClient } from './ws-client';

/**
 * What one socket or one user may cost the WebSocket service: replays paced by
 * the socket's drain and by byte budgets (a subscribe flood never stalls the
 * server), every frame counted by the frame limiter (ping too), the Origin
 * check on scheme + host + port, and the cap on sockets per user.
 */
export function wsBudgetSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const seqsOf = (frames: Array<{ seq: number }>) => frames.map((f) => f.seq);
  // 4000 characters, 16 KB of UTF-8: a room of these outgrows what the kernel buffers of a loopback connection absorb.
  const big = (i: number) => `${i} ${'😀'.repeat(4000 - String(i).length - 1)}`;

  /** Posts `n` messages of 4000 characters over one socket (the room writer batches them). */
  async function fill(t: Test, c: Ctx, s: Session, roomId: string, n: number): Promise<number> {
    const w = await openWs(t, c, s.accessToken);
    const ids = Array.from({ length: n }, () => cmid());
    ids.forEach((id, i) => w.send({ type: 'send', roomId, clientMsgId: id, body: big(i) }));
    let last = 0;
    for (const id of ids) {
      const ack = await w.next((f) => f.clientMsgId === id && (f.type === 'ack' || f.type === 'error'), 60_000, `ack ${id}`);
      if (ack.type !== 'ack') throw new Error(`not acked: ${JSON.stringify(ack)}`);
      last = Math.max(last, ack.seq as number);
    }
    w.terminate();
    return last;
  }

  /** A socket that stops reading: the server's writes pile up in the kernel, then in its own buffer. */
  const stopReading = (c: WsClient) => (c.ws as unknown as { _socket: Socket })._socket.pause();

  /** Round trips (ms) of GET `path` from this process, one after another, until `done()`. */
  async function samples(url: string, token: string | undefined, done: () => boolean): Promise<number[]> {
    const out: number[] = [];
    while (!done()) {
      const started = performance.now();
      const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(60_000) });
      await res.text();
      if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
      out.push(performance.now() - started);
      await sleep(50);
    }
    return out;
  }
  const percentile = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? Infinity;

  /**
   * Runs `attack` (bounded: it stops at `until`) while another client samples
   * /healthz and a store-backed call, and replays the whole room over its own
   * socket; asserts the server stayed responsive to it.
   */
  async function underAttack(t: Test, reader: Session, roomId: string, last: number, attack: (until: number) => Promise<void>): Promise<void> {
    const until = Date.now() + 4000;
    let attacking = true;
    const base = await ctx.server.baseUrl;
    const health = samples(`${base}/healthz`, undefined, () => !attacking);
    const history = samples(`${base}/v1/rooms/${roomId}/messages?limit=1`, reader.accessToken, () => !attacking);
    const normal = await openWs(t, ctx, reader.accessToken);
    const attackDone = attack(until).finally(() => (attacking = false));
    await sleep(500); // the flood is on
    t.match(await normal.subscribe(roomId, 0), { type: 'subscribed', roomId }, 'a normal client subscribes during the flood');
    const replay = normal.eventsUntil(roomId, last, 60_000);
    await attackDone;
    for (const [what, ms] of [['/healthz', await health], ['GET messages', await history]] as const) {
      const p90 = percentile(ms, 90);
      t.comment(`${what} during the flood: ${ms.length} samples, median ${Math.round(percentile(ms, 50))} ms, p90 ${Math.round(p90)} ms, max ${Math.round(Math.max(...ms))} ms`);
      t.ok(ms.length >= 10, `${what} answered throughout (${ms.length} samples in 4 s)`);
      t.ok(p90 < 100, `${what}: p90 under 100 ms while the flood runs (${Math.round(p90)} ms)`);
    }
    const seqs = seqsOf(await replay);
    t.ok(isGapless(seqs, 1, last), `the normal client's replay is complete and in order: ${describeSeqs(seqs)}`);
    t.same(await normal.quiet((f) => f.type === 'event', 200), [], 'and has no repeats');
  }

  t.test('a socket that never reads cannot stall the server with subscribe frames', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const last = await fill(t, ctx, s!, room.id, 400); // 6.4 MB

    t.test('repeated subscribes at the same position', async (t) => {
      await underAttack(t, b!, room.id, last, async (until) => {
        const sockets = await Promise.all([0, 1, 2, 3, 4].map(() => openWs(t, ctx, s!.accessToken)));
        for (const c of sockets) {
          c.send({ type: 'subscribe', roomId: room.id, sinceSeq: 0 });
          stopReading(c);
        }
        for (let burst = 0; Date.now() < until; burst++) {
          for (const c of sockets) for (let i = 0; i < (burst === 0 ? 200 : 6); i++) c.send({ type: 'subscribe', roomId: room.id, sinceSeq: 0 });
          await sleep(10);
        }
      });
    });

    t.test('subscribe and unsubscribe over and over', async (t) => {
      await underAttack(t, b!, room.id, last, async (until) => {
        const sockets = await Promise.all([0, 1, 2, 3, 4].map(() => openWs(t, ctx, s!.accessToken)));
        for (const c of sockets) stopReading(c);
        for (let burst = 0; Date.now() < until; burst++) {
          for (const c of sockets) {
            for (let i = 0; i < (burst === 0 ? 100 : 3); i++) {
              c.send({ type: 'subscribe', roomId: room.id, sinceSeq: i % 7 });
              c.send({ type: 'unsubscribe', roomId: room.id });
            }
            c.send({ type: 'subscribe', roomId: room.id, sinceSeq: 0 });
          }
          await sleep(10);
        }
      });
    });
  });

  t.test('subscribing again at or behind the position delivered so far sends nothing again', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const last = await fill(t, ctx, s, room.id, 60);
    const c = await openWs(t, ctx, s.accessToken);
    // Several subscribes while the first replay streams: one replay, each event once.
    c.send({ type: 'subscribe', roomId: room.id, sinceSeq: 0 });
    for (let i = 0; i < 20; i++) c.send({ type: 'subscribe', roomId: room.id, sinceSeq: 0 });
    const seqs = seqsOf(await c.eventsUntil(room.id, last));
    t.ok(isGapless(seqs, 1, last), `one replay: ${describeSeqs(seqs)}`);
    await sleep(300);
    t.equal(c.received.filter((f) => f.type === 'subscribed').length, 21, 'every subscribe is answered');
    t.same(c.queue.filter((f) => f.type === 'event'), [], 'no second replay burst');
    for (const sinceSeq of [0, 10, last, undefined]) {
      t.match(await c.subscribe(room.id, sinceSeq), { type: 'subscribed', roomId: room.id, lastSeq: last }, `again with sinceSeq ${sinceSeq}`);
    }
    t.same(await c.quiet((f) => f.type === 'event', 300), [], 'nothing replayed again');
    await a.post(s, room.id, 'live');
    t.same(seqsOf(await c.eventsUntil(room.id, last + 1)), [last + 1], 'the next live event, once');
    t.same(await c.quiet((f) => f.type === 'event', 200), [], 'and nothing else');
  });

  t.test('with rate limits on, 3 sockets per user, small replay budgets and an Origin allow-list', async (t) => {
    const own = await ownServer(t, ctx, {
      RATE_LIMIT_ENABLED: 'true',
      WS_MAX_SOCKETS_PER_USER: '3',
      WS_REPLAY_PAGE_BYTES: '65536',
      WS_REPLAY_SOCKET_BYTES_PER_SECOND: '262144',
      WS_REPLAY_USER_BYTES_PER_SECOND: '262144',
      WS_ALLOWED_ORIGINS: 'https://chat.example',
    });
    const [s, b, other, d] = await own.api.users(4);

    t.test('a ping flood is refused with RATE_LIMITED like any other frame; the socket stays open', async (t) => {
      const c = await openWs(t, own, s!.accessToken);
      const n = 1300; // the frame bucket holds 1000 at the default limits
      for (let i = 0; i < n; i++) c.send({ type: 'ping' });
      const answers = [];
      for (let i = 0; i < n; i++) answers.push(await c.next((f) => f.type === 'pong' || f.type === 'error', 10_000, `answer ${i}`));
      const limited = answers.filter((f) => f.type === 'error');
      t.ok(limited.length >= 100, `pings beyond the bucket are refused (${answers.length - limited.length} pongs, ${limited.length} refused)`);
      t.ok(limited.every((f) => f.code === 'RATE_LIMITED'), 'each with RATE_LIMITED');
      for (let i = 0; i < 50; i++) c.sendRaw('not json');
      const malformed = [];
      for (let i = 0; i < 50; i++) malformed.push(await c.next((f) => f.type === 'error', 10_000, `answer ${i}`));
      t.ok(malformed.some((f) => f.code === 'RATE_LIMITED'), `malformed frames count too (${malformed.map((f) => f.code).join(',').slice(0, 120)})`);
      await sleep(1200);
      t.match(await c.ping(), { type: 'pong' }, 'served again once the bucket refills');
      t.ok(c.isOpen, 'still open');
    });

    t.test('a user\'s socket beyond WS_MAX_SOCKETS_PER_USER gets RATE_LIMITED and close 1008', async (t) => {
      // The cap holds per ws instance: behind the Phase 3 load balancer a user gets up to 3 on each instance.
      const most = 3 * ((own.server as { shape?: { ws: number } }).shape?.ws ?? 1);
      const mine: WsClient[] = [];
      let extra: WsClient | undefined;
      while (!extra && mine.length <= most) {
        const c = await rawWs(t, own, { token: b!.accessToken });
        const first = await c.next(() => true, 5000, 'first frame');
        if (first.type === 'ready') mine.push(c);
        else {
          extra = c;
          t.match(first, { type: 'error', code: 'RATE_LIMITED' }, 'header auth: error RATE_LIMITED');
        }
      }
      t.ok(mine.length >= 3 && mine.length <= most, `${mine.length} sockets admitted, then one refused`);
      if (!extra) return;
      t.equal((await extra.waitClosed()).code, 1008, 'then closed with 1008');
      t.notOk(extra.received.some((f) => f.type === 'ready'), 'never ready');
      const byFrame = await rawWs(t, own);
      byFrame.auth(b!.accessToken);
      t.match(await byFrame.next(() => true, 5000, 'first frame'), { type: 'error', code: 'RATE_LIMITED' }, 'auth frame: error RATE_LIMITED');
      t.equal((await byFrame.waitClosed()).code, 1008, 'then closed with 1008');
      t.match(await (await openWs(t, own, other!.accessToken)).ping(), { type: 'pong' }, 'another user is not affected');
      for (const c of mine) t.match(await c.ping(), { type: 'pong' }, 'the admitted sockets stay open');
      mine[0]!.close();
      await mine[0]!.waitClosed();
      const again = await eventually(async () => {
        const c = await rawWs(t, own, { token: b!.accessToken });
        return c.next(() => true, 5000, 'first frame');
      }, (f) => f.type === 'ready', 3000);
      t.match(again, { type: 'ready' }, 'a socket closed makes room for a new one');
    });

    t.test('a replay beyond the byte budget is paced, not refused', async (t) => {
      const room = await own.api.group(d!);
      const last = await fill(t, own, d!, room.id, 40); // 640 KB of event frames; the buckets hold and refill 256 KiB/s
      const c = await openWs(t, own, d!.accessToken);
      const started = Date.now();
      await c.subscribe(room.id, 0);
      const seqs = seqsOf(await c.eventsUntil(room.id, last, 30_000));
      const took = Date.now() - started;
      t.ok(isGapless(seqs, 1, last), `complete and in order: ${describeSeqs(seqs)}`);
      t.ok(took >= 1000, `streamed at the budget's pace (${took} ms)`);
      t.notOk(c.received.some((f) => f.type === 'error'), 'no error');
    });

    /** The upgrade's answer for these headers: 'upgraded' or the HTTP status. */
    const upgrade = async (headers: Record<string, string>): Promise<number | string> =>
      new Promise((resolve) => {
        const ws = new WebSocket(own.wsUrl, { headers: { authorization: `Bearer ${other!.accessToken}`, ...headers }, handshakeTimeout: 5000 });
        ws.on('error', (err) => resolve(String(err)));
        ws.once('unexpected-response', (_req, res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('open', () => {
          resolve('upgraded');
          ws.terminate();
        });
      });

    t.test('the Origin allow-list compares scheme, host and port', async (t) => {
      const host = 'chat.example';
      t.equal(await upgrade({ host, origin: 'https://chat.example' }), 'upgraded', 'the listed origin');
      t.equal(await upgrade({ host, origin: 'https://CHAT.example:443' }), 'upgraded', 'the listed origin, spelled otherwise');
      t.equal(await upgrade({ host, origin: 'http://chat.example' }), 403, 'http:// when https:// is listed, even on the listed host');
      t.equal(await upgrade({ host, 'x-forwarded-proto': 'http', origin: 'http://chat.example' }), 403, 'a listed allow-list is the whole list');
      t.equal(await upgrade({ host, origin: 'https://chat.example:8443' }), 403, 'another port');
      t.equal(await upgrade({ host, origin: 'https://chat.example.evil.example' }), 403, 'a longer host');
    });
  });

  t.test('the server\'s own origin is its scheme, host and port', async (t) => {
    const s = await a.register();
    const url = new URL(ctx.wsUrl);
    const upgrade = async (headers: Record<string, string>): Promise<number | string> =>
      new Promise((resolve) => {
        const ws = new WebSocket(ctx.wsUrl, { headers: { authorization: `Bearer ${s.accessToken}`, ...headers }, handshakeTimeout: 5000 });
        ws.on('error', (err) => resolve(String(err)));
        ws.once('unexpected-response', (_req, res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('open', () => {
          resolve('upgraded');
          ws.terminate();
        });
      });
    t.equal(await upgrade({ origin: `http://${url.host}` }), 'upgraded', 'the page this server serves over http');
    t.equal(await upgrade({ origin: `https://${url.host}` }), 403, 'https:// of our host and port, reached over plain ws://');
    t.equal(await upgrade({ origin: `http://${url.hostname}:${Number(url.port) + 1}` }), 403, 'another port');
    t.equal(await upgrade({ origin: `http://${url.hostname}` }), 403, 'no port');
    t.equal(await upgrade({ host: 'chat.example', 'x-forwarded-proto': 'https', origin: 'https://chat.example' }), 'upgraded', 'behind a TLS proxy: https://');
    t.equal(await upgrade({ host: 'chat.example', 'x-forwarded-proto': 'https', origin: 'http://chat.example' }), 403, 'behind a TLS proxy: not http://');
    t.equal(await upgrade({ host: 'chat.example:80', origin: 'http://chat.example' }), 'upgraded', 'the default port, written or not');
  });
}
