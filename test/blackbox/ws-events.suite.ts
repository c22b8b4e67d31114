import type { Test } from 'tap';
import { cmid } from './client';
import { openWs, type Ctx } from './harness';

/** What subscribers see live: every event type, tombstones in replays, no leaks to outsiders. */
export function wsEventsSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('every kind of change reaches subscribers live, as the same event GET /events serves', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.group(s!, [b!.user.id], 'live');
    const ws = await openWs(t, ctx, b!.accessToken);
    await ws.subscribe(room.id);
    await a.ok(200, 'PATCH', `/v1/rooms/${room.id}`, { token: s!.accessToken, body: { name: 'live2' } });
    await a.addMember(s!, room.id, c!.user.id);
    await a.setRole(s!, room.id, c!.user.id, 'admin');
    const m = await a.post(s!, room.id, 'hi');
    await a.edit(s!, room.id, m.id, 'hi!');
    await a.ok(204, 'DELETE', `/v1/rooms/${room.id}/members/${c!.user.id}`, { token: s!.accessToken });
    const frames = await ws.eventsUntil(room.id, 9);
    t.same(frames.map((f) => f.event.type), ['room.updated', 'member.joined', 'member.updated', 'message.posted', 'message.edited', 'member.left']);
    t.same(frames.map((f) => f.event), await a.timeline(s!, room.id, 3), 'identical to the stored timeline');
    await a.remove(s!, room.id, m.id);
    t.match(await ws.next((f) => f.type === 'event'), { seq: 10, event: { type: 'message.deleted', messageId: m.id } });
  });

  t.test('a WS replay after a delete serves the tombstone for every event about the message', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const m = await a.post(s, room.id, 'top secret');
    await a.edit(s, room.id, m.id, 'top secret 2');
    await a.remove(s, room.id, m.id);
    const ws = await openWs(t, ctx, s.accessToken);
    await ws.subscribe(room.id, 0);
    const frames = await ws.eventsUntil(room.id, 5);
    t.match(frames[2], { seq: 3, event: { type: 'message.posted', message: { id: m.id, body: '', deleted: true } } });
    t.match(frames[3], { seq: 4, event: { type: 'message.edited', message: { id: m.id, body: '', deleted: true } } });
    t.notOk(JSON.stringify(frames).includes('top secret'), 'the text appears nowhere');
  });

  t.test('a subscriber never sees events of rooms it did not subscribe to', async (t) => {
    const s = await a.register();
    const r1 = await a.group(s);
    const r2 = await a.group(s);
    const ws = await openWs(t, ctx, s.accessToken);
    await ws.subscribe(r1.id);
    await a.post(s, r2.id, 'elsewhere');
    await a.post(s, r1.id, 'here');
    t.match(await ws.next((f) => f.type === 'event'), { roomId: r1.id, seq: 3 });
    t.same(ws.received.filter((f) => f.roomId === r2.id), [], 'nothing about r2');
  });

  t.test('a member may send typing without subscribing', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const watcher = await openWs(t, ctx, s!.accessToken);
    await watcher.subscribe(room.id);
    const typer = await openWs(t, ctx, b!.accessToken);
    typer.send({ type: 'typing', roomId: room.id });
    t.match(await watcher.next((f) => f.type === 'typing'), { roomId: room.id, userId: b!.user.id });
  });

  t.test('typing from a non-member reaches nobody', async (t) => {
    const [s, stranger] = await a.users(2);
    const room = await a.group(s!);
    const member = await openWs(t, ctx, s!.accessToken);
    await member.subscribe(room.id);
    const intruder = await openWs(t, ctx, stranger!.accessToken);
    intruder.send({ type: 'typing', roomId: room.id });
    const answer = await intruder.quiet((f) => f.type === 'error', 300);
    t.ok(answer.length === 0 || answer[0].code === 'NOT_FOUND', `the intruder gets no error or NOT_FOUND (${JSON.stringify(answer[0] ?? null)})`);
    t.same(member.queue.filter((f) => f.type === 'typing'), [], 'the member saw no typing');
  });

  t.test('a socket that drops without a close frame goes offline for co-members', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const watcher = await openWs(t, ctx, s!.accessToken);
    await watcher.subscribe(room.id);
    const bws = await openWs(t, ctx, b!.accessToken);
    await watcher.next((f) => f.type === 'presence' && f.userId === b!.user.id && f.status === 'online');
    bws.terminate();
    t.match(await watcher.next((f) => f.type === 'presence' && f.userId === b!.user.id, 5000, 'offline'), { status: 'offline' });
  });

  t.test('presence goes only to co-members', async (t) => {
    const [s, b, stranger] = await a.users(3);
    const room = await a.group(s!, [b!.user.id]);
    const other = await a.group(stranger!);
    const watcher = await openWs(t, ctx, stranger!.accessToken);
    await watcher.subscribe(other.id);
    const sws = await openWs(t, ctx, s!.accessToken);
    await sws.subscribe(room.id);
    await openWs(t, ctx, b!.accessToken);
    await sws.next((f) => f.type === 'presence' && f.userId === b!.user.id);
    t.same(watcher.queue.filter((f) => f.type === 'presence' && [s!.user.id, b!.user.id].includes(f.userId)), [], 'a stranger learns nothing');
  });

  t.test('a message sent over WS reaches the sender’s other sockets and other members in order', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const sender = await openWs(t, ctx, s!.accessToken);
    const mine = await openWs(t, ctx, s!.accessToken);
    const theirs = await openWs(t, ctx, b!.accessToken);
    await Promise.all([sender.subscribe(room.id), mine.subscribe(room.id), theirs.subscribe(room.id)]);
    const acks = await Promise.all(Array.from({ length: 10 }, (_, i) => sender.sendMessage(room.id, cmid(), `n${i}`)));
    const last = Math.max(...acks.map((x) => x.seq));
    for (const [name, c] of [['sender', sender], ['my other socket', mine], ['other member', theirs]] as const) {
      const seqs = (await c.eventsUntil(room.id, last)).map((f) => f.seq);
      t.same(seqs, Array.from({ length: 10 }, (_, i) => 4 + i), `${name}: 4..13 in order`);
    }
  });
}
