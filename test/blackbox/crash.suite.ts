import type { Test } from 'tap';
import { cmid, sleep, WsClient, type Body, type Session } from './client';
import { describeSeqs, isGapless, ownServer, type Ctx } from './harness';

/** kill -9 during a stream of acknowledged sends; restart on the same data; nothing acknowledged is lost or doubled. */

interface Ack {
  readonly messageId: string;
  readonly seq: number;
}

interface Stream {
  readonly attempted: Set<string>;
  readonly acked: Map<string, Ack>;
  /** Events a subscriber was shown before the crash. */
  readonly seen: Body[];
  stop(): Promise<void>;
}

async function startStream(c: Ctx, s: Session, watcher: Session, roomId: string): Promise<Stream> {
  const attempted = new Set<string>();
  const acked = new Map<string, Ack>();
  const ws = await WsClient.ready(c.wsUrl, s.accessToken);
  const watch = await WsClient.ready(c.wsUrl, watcher.accessToken);
  await watch.subscribe(roomId);
  let stopped = false;
  const wsLoop = async () => {
    while (!stopped && ws.isOpen) {
      const ids = Array.from({ length: 8 }, () => cmid());
      ids.forEach((id) => attempted.add(id));
      const answers = await Promise.allSettled(ids.map((id) => ws.sendMessage(roomId, id, `ws ${id}`, 5000)));
      for (const r of answers) if (r.status === 'fulfilled' && r.value.type === 'ack') acked.set(r.value.clientMsgId, { messageId: r.value.messageId, seq: r.value.seq });
    }
  };
  const httpLoop = async () => {
    while (!stopped) {
      const id = cmid();
      attempted.add(id);
      try {
        const res = await c.api.req('POST', `/v1/rooms/${roomId}/messages`, { token: s.accessToken, body: { clientMsgId: id, body: `http ${id}` }, timeoutMs: 5000 });
        if (res.status === 201 || res.status === 200) acked.set(id, { messageId: res.body.message.id, seq: res.body.message.seq });
      } catch {
        return;
      }
    }
  };
  const loops = [wsLoop(), httpLoop(), httpLoop(), httpLoop()];
  return {
    attempted,
    acked,
    seen: watch.received,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      ws.terminate();
      watch.terminate();
    },
  };
}

export function crashSuite(t: Test, ctx: Ctx): void {
  t.test('kill -9 during acknowledged sends: after restart every ack is in history exactly once and the timeline is gapless', async (t) => {
    const own = await ownServer(t, ctx, {});
    const a = own.api;
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const allAcked = new Map<string, Ack>();
    const allAttempted = new Set<string>();

    for (let round = 1; round <= 2; round++) {
      const stream = await startStream(own, s!, b!, room.id);
      const target = allAcked.size + 150;
      const deadline = Date.now() + 15_000;
      while (allAcked.size + stream.acked.size < target && Date.now() < deadline) await sleep(20);
      await own.server.kill();
      await stream.stop();
      for (const [k, v] of stream.acked) allAcked.set(k, v);
      stream.attempted.forEach((id) => allAttempted.add(id));
      t.comment(`round ${round}: ${stream.acked.size} acked of ${stream.attempted.size} attempted before kill -9`);
      t.ok(stream.acked.size > 0, `round ${round}: some sends were acknowledged before the kill`);

      await own.server.start();
      const history = await a.allMessages(s!, room.id);
      const byClientId = new Map<string, Body[]>();
      for (const m of history) byClientId.set(m.clientMsgId, [...(byClientId.get(m.clientMsgId) ?? []), m]);
      const lost = [...allAcked].filter(([id]) => !byClientId.has(id));
      t.same(lost.map(([id]) => id), [], `round ${round}: no acknowledged message is lost`);
      const moved = [...allAcked].filter(([id, ack]) => {
        const m = byClientId.get(id)?.[0];
        return m && (m.id !== ack.messageId || m.seq !== ack.seq);
      });
      t.same(moved.map(([id]) => id), [], `round ${round}: each keeps its acknowledged id and seq`);
      const doubled = [...byClientId].filter(([, ms]) => ms.length > 1).map(([id]) => id);
      t.same(doubled, [], `round ${round}: no clientMsgId is stored twice`);
      t.ok(history.every((m: Body) => allAttempted.has(m.clientMsgId)), 'nothing that was never sent');
      const timeline = await a.timeline(s!, room.id);
      const seqs = timeline.map((e: Body) => e.seq as number);
      const lastSeq = (await a.room(s!, room.id)).lastSeq;
      t.ok(isGapless(seqs, 1, lastSeq), `round ${round}: timeline gapless 1..${lastSeq}: ${describeSeqs(seqs)}`);
      const posted = timeline.filter((e: Body) => e.type === 'message.posted').length;
      t.equal(posted, history.length, 'one message.posted per message');
      const bySeq = new Map(timeline.map((e: Body) => [e.seq, e]));
      const phantom = stream.seen.filter((f) => f.type === 'event' && bySeq.get(f.seq)?.message?.id !== f.event?.message?.id);
      t.same(phantom.map((f) => f.seq), [], `round ${round}: every event a subscriber saw before the crash survived`);
    }

    const pending = [...allAttempted].filter((id) => !allAcked.has(id));
    for (const id of pending) {
      const res = await a.req('POST', `/v1/rooms/${room.id}/messages`, { token: s!.accessToken, body: { clientMsgId: id, body: 'retry' } });
      t.ok(res.status === 200 || res.status === 201, `retrying unacked ${id} → ${res.status}`);
    }
    const final = await a.allMessages(s!, room.id);
    t.equal(new Set(final.map((m: Body) => m.clientMsgId)).size, final.length, 'after retrying the unacked sends: still no duplicates');
    t.equal(final.length, allAttempted.size, 'every attempted send now exists exactly once');
    const lastSeq = (await a.room(s!, room.id)).lastSeq;
    const next = await a.post(s!, room.id, 'after the crashes');
    t.equal(next.seq, lastSeq + 1, 'seq continues after the restart without reuse');
    const r = await a.refresh(s!.refreshToken);
    t.equal(r.status, 200, 'sessions survive the crash');
    const watcher = await WsClient.ready(own.wsUrl, b!.accessToken);
    t.teardown(() => watcher.terminate());
    await watcher.subscribe(room.id, 0);
    const replay = await watcher.eventsUntil(room.id, next.seq, 30_000);
    t.ok(isGapless(replay.map((f) => f.seq as number), 1, next.seq), 'a full WS replay after restart is gapless');
  });

  t.test('a graceful stop (SIGTERM) keeps everything acknowledged too', async (t) => {
    const own = await ownServer(t, ctx, {});
    const a = own.api;
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const stream = await startStream(own, s!, b!, room.id);
    const deadline = Date.now() + 10_000;
    while (stream.acked.size < 100 && Date.now() < deadline) await sleep(20);
    await own.server.stop();
    await stream.stop();
    await own.server.start();
    const history = await a.allMessages(s!, room.id);
    const ids = new Set(history.map((m: Body) => m.clientMsgId));
    t.ok([...stream.acked.keys()].every((id) => ids.has(id)), `all ${stream.acked.size} acknowledged messages survive`);
    t.equal(ids.size, history.length, 'no duplicates');
  });
}
