import type { Socket } from 'node:net';
import type { Test } from 'tap';
import { cmid, eventually, sleep, WsClient } from './client';
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

  // Behind the Phase 3 gateway the kernel buffers of one more TCP hop fill before the ws instance's
  // send buffer grows; flooding from several rooms at once gets there within the time the close allows.
  t.test('a slow reader is closed with 1013; on reconnect with sinceSeq it loses nothing', async (t) => {
    const [s, b] = await a.users(2);
    // Several rooms flood the one reader at once: more bytes per second than one room's writer makes.
    const rooms: string[] = await Promise.all([0, 1, 2, 3].map(async () => (await a.group(s!, [b!.user.id])).id));
    const slow = await openWs(t, ctx, b!.accessToken);
    const start = new Map<string, number>();
    for (const id of rooms) start.set(id, (await slow.subscribe(id)).lastSeq as number);
    const last = new Map(start);
    const writers = await Promise.all(rooms.map(() => openWs(t, ctx, s!.accessToken)));
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const body = '😀'.repeat(4000); // 16 KB of UTF-8 per message
    const capBytes = 64e6;
    // The 1013 close frame reaches us only once we read again, and a closing socket is dropped 30 s
    // after the close: flood for at most 20 s, then resume reading.
    const deadline = Date.now() + 20_000;
    let sent = 0;
    let failed = false;
    await Promise.all(rooms.map(async (roomId, i) => {
      while (!failed && Date.now() < deadline && sent * body.length * 2 < capBytes) {
        const acks = await Promise.all(Array.from({ length: 25 }, () => writers[i]!.sendMessage(roomId, cmid(), body, 30_000)));
        const refused = acks.find((x) => x.type !== 'ack');
        if (refused) {
          failed = true;
          t.fail(`a send was not acked: ${JSON.stringify(refused)}`);
        }
        sent += acks.length;
        last.set(roomId, Math.max(last.get(roomId)!, ...acks.map((x) => x.seq as number)));
      }
    }));
    t.comment(`flooded ${sent} messages (${Math.round((sent * body.length * 2) / 1e6)} MB) over ${rooms.length} rooms at a paused reader`);
    const resumed = Date.now();
    socket.resume();
    const caughtUp = () => rooms.every((id) => slow.received.some((f) => f.type === 'event' && f.roomId === id && f.seq >= last.get(id)!));
    const closed = await Promise.race([slow.closed, eventually(async () => caughtUp(), (x) => x, 30_000).then(() => undefined)]);
    const mb = Math.round((sent * body.length * 2) / 1e6);
    if (!closed && caughtUp() && mb < 24) {
      // Too few bytes to fill the buffers on the way (the gateway hop in Phase 3 on a busy machine): nothing to conclude.
      t.comment(`inconclusive: only ${mb} MB flooded and all of it was delivered`);
      return;
    }
    t.equal(closed?.code, 1013, `closed with 1013 (${closed ? `${closed.code} ${closed.reason}` : `still open after ${mb} MB`}, ${Date.now() - resumed} ms after resuming)`);
    const again = await openWs(t, ctx, b!.accessToken);
    for (const roomId of rooms) {
      const seen = slow.received.filter((f) => f.type === 'event' && f.roomId === roomId).map((f) => f.seq as number);
      const from = start.get(roomId)!;
      t.ok(isGapless(seen, from + 1, from + seen.length), `what arrived before the close is in order: ${describeSeqs(seen)}`);
      const resumeFrom = seen.at(-1) ?? from;
      await again.subscribe(roomId, resumeFrom);
      const rest = (await again.eventsUntil(roomId, last.get(roomId)!, 60_000)).map((f) => f.seq as number);
      t.ok(isGapless(rest, resumeFrom + 1, last.get(roomId)!), `the replay (${rest.length} events, streamed at my pace) fills the gap: ${describeSeqs(rest)}`);
    }
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
