import type { Socket } from 'node:net';
import type { Test } from 'tap';
import { cmid, sleep, WsClient } from './client';
import { describeSeqs, isGapless, openWs, ownServer, rawWs, type Ctx } from './harness';

/** Socket limits: 64 KiB frames, slow readers (1013), keep-alive pings, access-token expiry (4401). */
export function wsLimitsSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('a frame over 64 KiB closes the socket with 1009', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const ok = await openWs(t, ctx, s.accessToken);
    const big = 'x'.repeat(60 * 1024);
    ok.sendRaw(JSON.stringify({ type: 'typing', roomId: room.id, pad: big }));
    t.match(await ok.ping(), { type: 'pong' }, 'a 60 KiB frame is fine');
    const c = await openWs(t, ctx, s.accessToken);
    c.sendRaw(JSON.stringify({ type: 'send', roomId: room.id, clientMsgId: cmid(), body: 'x'.repeat(65 * 1024) }));
    t.equal((await c.waitClosed(5000)).code, 1009);
    t.equal((await a.room(s, room.id)).lastSeq, 2, 'nothing was posted');
  });

  // Phase 3 puts the gateway's TCP hop between client and ws instance: ~20 MB of kernel buffers fill
  // before the ws instance sees its send buffer grow, more than this flood reaches on a loaded
  // 2-core machine. Memory stays bounded; the 1013 comes later. Tracked in the Phase 3 issue note.
  const slowReaderOpts = ctx.target === 'phase3' ? { todo: 'phase 3: the 1013 trips only after the gateway hop buffers fill' } : {};
  t.test('a slow reader is closed with 1013; on reconnect with sinceSeq it loses nothing', slowReaderOpts, async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const slow = await openWs(t, ctx, b!.accessToken);
    const sub = await slow.subscribe(room.id);
    const writer = await openWs(t, ctx, s!.accessToken);
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const body = '😀'.repeat(4000); // 16 KB of UTF-8 per message
    const online = async () => (await a.ok(200, 'GET', `/v1/rooms/${room.id}/presence`, { token: s!.accessToken })).online as string[];
    let sent = 0;
    let lastSeq = sub.lastSeq as number;
    // The server can only deliver its 1013 close frame once we read again, and the ws library drops a
    // closing socket after 30 s: flood for at most 15 s, then resume reading.
    const deadline = Date.now() + 15_000;
    while (sent < 3000 && Date.now() < deadline) {
      const acks = await Promise.all(Array.from({ length: 50 }, () => writer.sendMessage(room.id, cmid(), body, 20_000)));
      sent += acks.length;
      lastSeq = Math.max(lastSeq, ...acks.map((x) => x.seq as number));
      const refused = acks.find((x) => x.type !== 'ack');
      if (refused) {
        t.fail(`a send was not acked: ${JSON.stringify(refused)}`);
        break;
      }
      if (sent % 250 === 0 && !(await online()).includes(b!.user.id)) break;
    }
    t.comment(`flooded ${sent} messages (${Math.round((sent * body.length * 2) / 1e6)} MB) at a paused reader`);
    const resumed = Date.now();
    socket.resume();
    const closed = await slow.waitClosed(30_000);
    t.equal(closed.code, 1013, `closed with 1013 (${closed.code} ${closed.reason}, ${Date.now() - resumed} ms after resuming)`);
    const seen = slow.received.filter((f) => f.type === 'event').map((f) => f.seq as number);
    t.ok(isGapless(seen, sub.lastSeq + 1, sub.lastSeq + seen.length), `what arrived before the close is in order: ${describeSeqs(seen)}`);
    const resumeFrom = seen.at(-1) ?? sub.lastSeq;
    const again = await openWs(t, ctx, b!.accessToken);
    await again.subscribe(room.id, resumeFrom);
    const rest = await again.eventsUntil(room.id, lastSeq, 60_000);
    const seqs = rest.map((f) => f.seq as number);
    t.ok(isGapless(seqs, resumeFrom + 1, lastSeq), `the replay (${seqs.length} events, streamed at my pace) fills the gap: ${describeSeqs(seqs)}`);
    t.ok(again.isOpen, 'a large replay never trips the slow-reader close');
  });

  t.test('with WS_PING_INTERVAL_MS=300', async (t) => {
    const own = await ownServer(t, ctx, { WS_PING_INTERVAL_MS: '300' });
    const s = await own.api.register();

    t.test('a client that answers pings stays connected', async (t) => {
      const c = await rawWs(t, own, { token: s.accessToken });
      await c.next((f) => f.type === 'ready');
      let pings = 0;
      c.ws.on('ping', () => pings++);
      await sleep(1500);
      t.ok(pings >= 2, `the server pinged (${pings})`);
      t.match(await c.ping(), { type: 'pong' }, 'still open');
    });

    t.test('a client that never answers pings is closed', async (t) => {
      const c = await rawWs(t, own, { token: s.accessToken, autoPong: false });
      await c.next((f) => f.type === 'ready');
      const started = Date.now();
      const closed = await c.waitClosed(5000);
      t.pass(`closed with ${closed.code} after ${Date.now() - started} ms`);
    });
  });

  t.test('with ACCESS_TOKEN_TTL_SECONDS=4', async (t) => {
    const own = await ownServer(t, ctx, { ACCESS_TOKEN_TTL_SECONDS: '4' });

    t.test('the socket is closed with 4401 when its access token expires', async (t) => {
      const s = await own.api.register();
      const c = await rawWs(t, own, { token: s.accessToken });
      await c.next((f) => f.type === 'ready');
      const started = Date.now();
      const closed = await c.waitClosed(8000);
      t.equal(closed.code, 4401);
      t.ok(Date.now() - started > 1000, `not long before the expiry (${Date.now() - started} ms)`);
    });

    t.test('a fresh auth frame before expiry keeps the socket open', async (t) => {
      const s = await own.api.register();
      const c = await rawWs(t, own, { token: s.accessToken });
      await c.next((f) => f.type === 'ready');
      // exp has whole seconds: the first token expires at most 4 s after ready; the fresh one more than 5 s after.
      const started = Date.now();
      await sleep(2000);
      const fresh = (await own.api.refresh(s.refreshToken)).body.accessToken as string;
      t.type(fresh, 'string', 'refreshed');
      c.auth(fresh);
      await sleep(4400 - (Date.now() - started)); // past the first token's expiry
      t.ok(c.isOpen, 'open after the first token expired');
      t.match(await c.ping(), { type: 'pong' });
      t.equal((await c.waitClosed(8000)).code, 4401, 'then closed when the fresh one expires');
    });

    t.test('first-frame auth with a token that expires also closes with 4401', async (t) => {
      const s = await own.api.register();
      const c = await WsClient.connect(own.wsUrl);
      t.teardown(() => c.terminate());
      c.auth(s.accessToken);
      await c.next((f) => f.type === 'ready');
      t.equal((await c.waitClosed(8000)).code, 4401);
    });
  });
}
