import type { Test } from 'tap';
import { describeSeqs, isError, isGapless, isoUtc, type Ctx } from './harness';

/** GET /v1/rooms/:id/events: gapless, ascending, paged with after/limit, every event type. */
export function timelineSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('every change is one timeline event, seq 1..lastSeq, with its payload', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.group(s!, [b!.user.id], 'tl');
    await a.ok(200, 'PATCH', `/v1/rooms/${room.id}`, { token: s!.accessToken, body: { name: 'tl2' } }); // 4
    await a.addMember(s!, room.id, c!.user.id); // 5
    await a.setRole(s!, room.id, c!.user.id, 'admin'); // 6
    const m = await a.post(b!, room.id, 'hello'); // 7
    await a.edit(b!, room.id, m.id, 'hello!'); // 8
    const keep = await a.post(c!, room.id, 'kept'); // 9
    await a.remove(b!, room.id, m.id); // 10
    await a.ok(204, 'DELETE', `/v1/rooms/${room.id}/members/${b!.user.id}`, { token: s!.accessToken }); // 11
    const { events, hasMore } = await a.events(s!, room.id);
    t.equal(hasMore, false);
    t.same(events.map((e: { type: string }) => e.type), [
      'room.created', 'member.joined', 'member.joined', 'room.updated', 'member.joined', 'member.updated',
      'message.posted', 'message.edited', 'message.posted', 'message.deleted', 'member.left',
    ]);
    t.ok(isGapless(events.map((e: { seq: number }) => e.seq), 1, 11), 'seq 1..11');
    for (const e of events) {
      t.equal(e.roomId, room.id, `seq ${e.seq} roomId`);
      t.type(e.actorId, 'string', `seq ${e.seq} actorId`);
      t.ok(isoUtc(e.occurredAt), `seq ${e.seq} occurredAt`);
    }
    t.match(events[3], { type: 'room.updated', room: { id: room.id, name: 'tl2' }, actorId: s!.user.id });
    t.match(events[4], { type: 'member.joined', member: { userId: c!.user.id, role: 'member' } });
    t.match(events[5], { type: 'member.updated', member: { userId: c!.user.id, role: 'admin' } });
    t.match(events[6], { type: 'message.posted', message: { id: m.id, seq: 7, deleted: true, body: '' } });
    t.match(events[7], { type: 'message.edited', message: { id: m.id, deleted: true, body: '' } });
    t.match(events[8], { type: 'message.posted', message: { ...keep } });
    t.match(events[9], { type: 'message.deleted', messageId: m.id, actorId: b!.user.id });
    t.match(events[10], { type: 'member.left', userId: b!.user.id, actorId: s!.user.id });
    t.equal((await a.room(s!, room.id)).lastSeq, 11, 'room.lastSeq is the newest seq');
  });

  t.test('events default to 100 per page, at most 500, paged by after with hasMore', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const msgs = Array.from({ length: 118 }, (_, i) => `e${i}`);
    for (let i = 0; i < msgs.length; i += 20) await Promise.all(msgs.slice(i, i + 20).map((b) => a.post(s, room.id, b)));
    const lastSeq = (await a.room(s, room.id)).lastSeq;
    t.equal(lastSeq, 120);
    const p1 = await a.events(s, room.id);
    t.equal(p1.events.length, 100, 'default limit 100');
    t.equal(p1.hasMore, true);
    t.ok(isGapless(p1.events.map((e: { seq: number }) => e.seq), 1, 100), 'seq 1..100');
    const p2 = await a.events(s, room.id, '?after=100');
    t.ok(isGapless(p2.events.map((e: { seq: number }) => e.seq), 101, 120), 'seq 101..120');
    t.equal(p2.hasMore, false);
    const small = await a.events(s, room.id, '?after=5&limit=3');
    t.same(small.events.map((e: { seq: number }) => e.seq), [6, 7, 8]);
    t.equal(small.hasMore, true);
    const exact = await a.events(s, room.id, '?after=117&limit=3');
    t.same(exact.events.map((e: { seq: number }) => e.seq), [118, 119, 120]);
    t.equal(exact.hasMore, false, 'exactly to the end: no more');
    const big = await a.events(s, room.id, '?limit=500');
    const all = big.events.map((e: { seq: number }) => e.seq);
    t.ok(isGapless(all, 1, 120), `limit 500 returns all: ${describeSeqs(all)}`);
    t.same(await a.events(s, room.id, '?after=120'), { events: [], hasMore: false }, 'after the end is empty');
    t.same(await a.events(s, room.id, '?after=99999'), { events: [], hasMore: false }, 'far after the end is empty');
    const bodies = big.events.filter((e: { type: string }) => e.type === 'message.posted').map((e: { message: { body: string } }) => e.message.body);
    t.same(bodies.sort(), msgs.sort(), 'every posted message once');
  });

  t.test('events paging parameters out of range are 400', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    for (const q of ['?limit=0', '?limit=501', '?limit=abc', '?limit=-5', '?after=-1', '?after=abc', '?after=1.5']) {
      isError(t, await a.req('GET', `/v1/rooms/${room.id}/events${q}`, { token: s.accessToken }), 400, 'VALIDATION_FAILED', q.slice(1).split('=')[0], q);
    }
    t.equal((await a.req('GET', `/v1/rooms/${room.id}/events?after=0&limit=500`, { token: s.accessToken })).status, 200);
  });

  t.test('two rooms have independent timelines', async (t) => {
    const s = await a.register();
    const r1 = await a.group(s);
    const r2 = await a.group(s);
    const m1 = await a.post(s, r1.id, 'a');
    const m2 = await a.post(s, r2.id, 'b');
    t.equal(m1.seq, 3);
    t.equal(m2.seq, 3, 'seq is per room');
  });
}
