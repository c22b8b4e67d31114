import type { Test } from 'tap';
import { cmid, sleep } from './client';
import { describeSeqs, isGapless, openWs, type Ctx } from './harness';

/** WebSocket frames once ready: validation, subscribe/replay, send/ack, typing, presence, unsubscribed. */
export function wsSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const seqsOf = (frames: Array<{ seq: number }>) => frames.map((f) => f.seq);

  t.test('malformed or unknown frames after ready: VALIDATION_FAILED and the socket stays open', async (t) => {
    const s = await a.register();
    const c = await openWs(t, ctx, s.accessToken);
    const bad = ['{not json', '[]', '"str"', 'null', '42', JSON.stringify({ type: 'teleport' }), JSON.stringify({ notype: true }),
      JSON.stringify({ type: 'subscribe' }), JSON.stringify({ type: 'subscribe', roomId: 5 }), JSON.stringify({ type: 'send', roomId: 'x' }),
      JSON.stringify({ type: 'subscribe', roomId: 'x', sinceSeq: 'abc' }), JSON.stringify({ type: 'subscribe', roomId: 'x', sinceSeq: -1 }),
      JSON.stringify({ type: 'subscribe', roomId: 'x', sinceSeq: 1.5 }), JSON.stringify({ type: 'send', roomId: 'x', clientMsgId: 'c', body: 5 })];
    for (const raw of bad) {
      c.sendRaw(raw);
      t.match(await c.next((f) => f.type === 'error', 3000, `error for ${raw}`), { type: 'error', code: 'VALIDATION_FAILED' }, raw);
      t.match(await c.ping(), { type: 'pong' }, 'still open');
    }
    c.sendRaw(Buffer.from([0xff, 0xfe, 0x00]));
    const answer = await Promise.race([c.next((f) => f.type === 'error', 3000).then(() => 'error'), c.closed.then((x) => `closed ${x.code}`)]);
    t.ok(answer === 'error' || answer === 'closed 1007', `binary/invalid UTF-8 frame: error or 1007 (${answer})`);
  });

  t.test('subscribe answers subscribed {lastSeq}; live events follow in order', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const c = await openWs(t, ctx, s!.accessToken);
    t.match(await c.subscribe(room.id), { type: 'subscribed', roomId: room.id, lastSeq: 3 });
    const m = await a.post(b!, room.id, 'live');
    const f = await c.next((x) => x.type === 'event', 5000, 'live event');
    t.match(f, { type: 'event', roomId: room.id, seq: 4, event: { seq: 4, type: 'message.posted', roomId: room.id, message: m } });
    t.same(await c.quiet((x) => x.type === 'event', 200), [], 'no replay without sinceSeq');
  });

  t.test('sinceSeq replays everything after it, then live, with no gap and no duplicate', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    for (let i = 0; i < 30; i++) await a.post(s, room.id, `m${i}`);
    const c = await openWs(t, ctx, s.accessToken);
    t.match(await c.subscribe(room.id, 5), { type: 'subscribed', lastSeq: 32 });
    const writer = (async () => { for (let i = 0; i < 10; i++) await a.post(s, room.id, `live${i}`); })();
    const frames = await c.eventsUntil(room.id, 42);
    await writer;
    const seqs = seqsOf(frames);
    t.ok(isGapless(seqs, 6, 42), `6..42 in order: ${describeSeqs(seqs)}`);
    t.same(frames.map((f) => f.event.seq), seqs, 'frame seq equals event seq');
    t.same(await c.quiet((x) => x.type === 'event', 300), [], 'nothing more');
    const http = await a.timeline(s, room.id, 5);
    t.same(frames.map((f) => f.event), http, 'the same events as GET /events');
  });

  t.test('sinceSeq 0 replays the whole timeline; sinceSeq at lastSeq replays nothing', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    await a.post(s, room.id, 'x');
    const c = await openWs(t, ctx, s.accessToken);
    await c.subscribe(room.id, 0);
    t.same(seqsOf(await c.eventsUntil(room.id, 3)), [1, 2, 3]);
    const d = await openWs(t, ctx, s.accessToken);
    await d.subscribe(room.id, 3);
    t.same(await d.quiet((x) => x.type === 'event', 300), [], 'up to date');
  });

  t.test('subscribing twice answers subscribed again and never duplicates events', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const c = await openWs(t, ctx, s.accessToken);
    await c.subscribe(room.id);
    t.match(await c.subscribe(room.id), { type: 'subscribed', roomId: room.id, lastSeq: 2 });
    await a.post(s, room.id, 'once');
    await c.eventsUntil(room.id, 3);
    t.same(await c.quiet((x) => x.type === 'event', 300), [], 'one event frame only');
    await c.subscribe(room.id, 0);
    await a.post(s, room.id, 'after resubscribe');
    const frames = await c.eventsUntil(room.id, 4);
    await sleep(300);
    const all = [...seqsOf(frames), ...seqsOf(c.queue.filter((x) => x.type === 'event'))];
    t.equal(all.filter((x) => x === 4).length, 1, `resubscribe with sinceSeq: seq 4 once (${all.join(',')})`);
    t.ok(all.every((x, i) => i === 0 || x > all[i - 1]!), 'strictly ascending, no repeats');
  });

  t.test('unsubscribe answers unsubscribed and stops events', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const c = await openWs(t, ctx, s.accessToken);
    await c.subscribe(room.id);
    c.send({ type: 'unsubscribe', roomId: room.id });
    t.match(await c.next((f) => f.type === 'unsubscribed'), { type: 'unsubscribed', roomId: room.id });
    await a.post(s, room.id, 'unseen');
    t.same(await c.quiet((x) => x.type === 'event', 300), [], 'no events after unsubscribe');
  });

  t.test('send answers ack {messageId, seq} once stored; a resend gets the same ack; bad sends get errors', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const c = await openWs(t, ctx, s!.accessToken);
    const watcher = await openWs(t, ctx, b!.accessToken);
    await watcher.subscribe(room.id);
    const id = cmid();
    const ack = await c.sendMessage(room.id, id, 'via ws');
    t.match(ack, { type: 'ack', roomId: room.id, clientMsgId: id, seq: 4 });
    t.type(ack.messageId, 'string');
    const stored = (await a.allMessages(b!, room.id))[0];
    t.match(stored, { id: ack.messageId, seq: 4, body: 'via ws', senderId: s!.user.id, clientMsgId: id }, 'stored before the ack');
    t.same(await c.sendMessage(room.id, id, 'again'), ack, 'same ack for the same clientMsgId');
    const http = await a.req('POST', `/v1/rooms/${room.id}/messages`, { token: s!.accessToken, body: { clientMsgId: id, body: 'http' } });
    t.equal(http.status, 200, 'HTTP with the same clientMsgId is the same message');
    t.equal(http.body.message?.id, ack.messageId);
    t.equal((await a.allMessages(b!, room.id)).length, 1, 'one message');
    t.match(await watcher.next((f) => f.type === 'event'), { seq: 4, event: { type: 'message.posted' } });
    t.same(await watcher.quiet((f) => f.type === 'event', 300), [], 'the resends made no events');
    for (const body of ['', '   ', 'x'.repeat(4001)]) {
      const err = await c.sendMessage(room.id, cmid(), body);
      t.match(err, { type: 'error', code: 'VALIDATION_FAILED' }, `body of ${body.length}`);
      t.type(err.clientMsgId, 'string', 'the error names the clientMsgId');
    }
    t.ok(c.isOpen, 'still open');
  });

  t.test('typing reaches subscribers who are other users, not the sender', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.group(s!, [b!.user.id, c!.user.id]);
    const ws1 = await openWs(t, ctx, s!.accessToken);
    const ws2 = await openWs(t, ctx, b!.accessToken);
    const ws3 = await openWs(t, ctx, c!.accessToken); // a member, not subscribed
    await ws1.subscribe(room.id);
    await ws2.subscribe(room.id);
    ws1.send({ type: 'typing', roomId: room.id });
    t.match(await ws2.next((f) => f.type === 'typing'), { type: 'typing', roomId: room.id, userId: s!.user.id });
    t.same(await ws1.quiet((f) => f.type === 'typing', 300), [], 'not echoed to the sender');
    t.same(ws3.queue.filter((f) => f.type === 'typing'), [], 'not to members who did not subscribe');
    t.equal((await a.room(s!, room.id)).lastSeq, 4, 'typing is not a timeline event');
  });

  t.test('presence: online/offline frames to co-members, and GET presence', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const online = async () => (await a.ok(200, 'GET', `/v1/rooms/${room.id}/presence`, { token: s!.accessToken })).online as string[];
    const watcher = await openWs(t, ctx, s!.accessToken);
    await watcher.subscribe(room.id);
    t.same(await online(), [s!.user.id], 'only s is online');
    const bws = await openWs(t, ctx, b!.accessToken);
    t.match(await watcher.next((f) => f.type === 'presence' && f.userId === b!.user.id), { status: 'online' });
    t.same((await online()).sort(), [s!.user.id, b!.user.id].sort(), 'b online');
    const second = await openWs(t, ctx, b!.accessToken);
    t.same(await watcher.quiet((f) => f.type === 'presence' && f.userId === b!.user.id, 300), [], 'a second socket sends no presence');
    second.close();
    await second.closed;
    t.same(await watcher.quiet((f) => f.type === 'presence' && f.userId === b!.user.id, 300), [], 'nor closing it while another is open');
    bws.close();
    t.match(await watcher.next((f) => f.type === 'presence' && f.userId === b!.user.id), { status: 'offline' });
    t.same(await online(), [s!.user.id], 'b offline');
  });

  t.test('unsubscribed {reason:"removed"} when removed, {reason:"room.deleted"} when the room is deleted', async (t) => {
    const [s, b] = await a.users(2);
    const r1 = await a.group(s!, [b!.user.id]);
    const r2 = await a.group(s!, [b!.user.id]);
    const c = await openWs(t, ctx, b!.accessToken);
    await c.subscribe(r1.id);
    await c.subscribe(r2.id);
    await a.ok(204, 'DELETE', `/v1/rooms/${r1.id}/members/${b!.user.id}`, { token: s!.accessToken });
    t.match(await c.next((f) => f.type === 'unsubscribed' && f.roomId === r1.id), { reason: 'removed' });
    await a.post(s!, r1.id, 'after removal');
    await a.ok(204, 'DELETE', `/v1/rooms/${r2.id}`, { token: s!.accessToken });
    t.match(await c.next((f) => f.type === 'unsubscribed' && f.roomId === r2.id), { reason: 'room.deleted' });
    const leaked = c.received.filter((f) => f.type === 'event' && f.roomId === r1.id && f.event?.type === 'message.posted');
    t.same(leaked, [], 'no events after removal');
    t.match(await c.subscribe(r1.id), { type: 'error', code: 'NOT_FOUND' }, 'cannot subscribe again');
    t.ok(c.isOpen, 'the socket stays open');
  });

  t.test('leaving a room over HTTP unsubscribes my sockets from it', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const c = await openWs(t, ctx, b!.accessToken);
    await c.subscribe(room.id);
    await a.ok(204, 'DELETE', `/v1/rooms/${room.id}/members/${b!.user.id}`, { token: b!.accessToken });
    t.match(await c.next((f) => f.type === 'unsubscribed'), { roomId: room.id });
  });
}
