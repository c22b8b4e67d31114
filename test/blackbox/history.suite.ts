import type { Test } from 'tap';
import type { Session } from './client';
import { isError, type Ctx } from './harness';

/** GET messages paging (before/after/limit/hasMore) and read markers with unreadCount. */
export function historySuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const seqs = (ms: Array<{ seq: number }>) => ms.map((m) => m.seq);

  async function roomWith(n: number): Promise<{ s: Session; roomId: string; all: number[] }> {
    const s = await a.register();
    const room = await a.group(s);
    const all: number[] = [];
    for (let i = 0; i < n; i++) all.push((await a.post(s, room.id, `m${i}`)).seq);
    return { s, roomId: room.id, all };
  }

  t.test('no cursor: the newest `limit`, ascending; hasMore says older ones exist', async (t) => {
    const { s, roomId, all } = await roomWith(7);
    let page = await a.messages(s, roomId, '?limit=3');
    t.same(seqs(page.messages), all.slice(-3), 'the newest three, ascending');
    t.equal(page.hasMore, true);
    page = await a.messages(s, roomId);
    t.same(seqs(page.messages), all, 'default limit 50 holds all 7');
    t.equal(page.hasMore, false);
    page = await a.messages(s, roomId, '?limit=7');
    t.equal(page.hasMore, false, 'exactly all: no more');
  });

  t.test('default limit is 50', async (t) => {
    const { s, roomId, all } = await roomWith(55);
    const page = await a.messages(s, roomId);
    t.same(seqs(page.messages), all.slice(-50));
    t.equal(page.hasMore, true);
    const full = await a.messages(s, roomId, '?limit=100');
    t.same(seqs(full.messages), all, 'limit 100 is allowed');
    t.equal(full.hasMore, false);
  });

  t.test('before pages backwards, after pages forwards, both without gaps or overlaps', async (t) => {
    const { s, roomId, all } = await roomWith(10);
    const back: number[] = [];
    let page = await a.messages(s, roomId, '?limit=3');
    back.unshift(...seqs(page.messages));
    while (page.hasMore) {
      page = await a.messages(s, roomId, `?before=${back[0]}&limit=3`);
      t.ok(page.messages.length > 0, 'hasMore promised more');
      back.unshift(...seqs(page.messages));
    }
    t.same(back, all, 'backwards: everything once');
    const fwd: number[] = [];
    let after = 0;
    for (let guard = 0; guard < 20; guard++) {
      page = await a.messages(s, roomId, `?after=${after}&limit=4`);
      fwd.push(...seqs(page.messages));
      if (!page.hasMore) break;
      after = fwd.at(-1)!;
    }
    t.same(fwd, all, 'forwards: everything once');
    const mid = await a.messages(s, roomId, `?after=${all[2]}&limit=2`);
    t.same(seqs(mid.messages), [all[3], all[4]], 'after is exclusive and ascending');
    t.equal(mid.hasMore, true);
    const tail = await a.messages(s, roomId, `?after=${all[7]}&limit=2`);
    t.same(seqs(tail.messages), [all[8], all[9]]);
    t.equal(tail.hasMore, false, 'nothing newer');
    const head = await a.messages(s, roomId, `?before=${all[2]}&limit=5`);
    t.same(seqs(head.messages), [all[0], all[1]], 'before is exclusive');
    t.equal(head.hasMore, false, 'nothing older');
    const past = await a.messages(s, roomId, '?after=100000');
    t.same(past, { messages: [], hasMore: false }, 'after the end: empty');
    const beyond = await a.messages(s, roomId, '?before=100000&limit=3');
    t.same(seqs(beyond.messages), all.slice(-3), 'before beyond the end: the newest, ascending');
    t.equal(beyond.hasMore, true);
    const first = await a.messages(s, roomId, '?before=1');
    t.same(first, { messages: [], hasMore: false }, 'before the start: empty');
  });

  t.test('paging parameters out of range are 400', async (t) => {
    const { s, roomId } = await roomWith(1);
    const bad = ['?before=3&after=1', '?limit=0', '?limit=101', '?limit=-1', '?limit=abc', '?limit=1.5', '?before=abc', '?after=-1', '?after=x'];
    for (const q of bad) {
      const field = q.includes('before=3') ? undefined : q.slice(1).split('=')[0];
      isError(t, await a.req('GET', `/v1/rooms/${roomId}/messages${q}`, { token: s.accessToken }), 400, 'VALIDATION_FAILED', field, q);
    }
    t.equal((await a.req('GET', `/v1/rooms/${roomId}/messages?limit=1`, { token: s.accessToken })).status, 200, 'limit 1');
  });

  t.test('read markers: forward only, clamped to lastSeq; unreadCount counts non-deleted messages from others', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const own = await a.post(s!, room.id, 'mine');
    const m1 = await a.post(b!, room.id, 'one');
    const m2 = await a.post(b!, room.id, 'two');
    const m3 = await a.post(b!, room.id, 'three');
    t.match(await a.listed(s!, room.id), { lastReadSeq: 2, unreadCount: 3 }, 'own message not counted');
    const res = await a.req('POST', `/v1/rooms/${room.id}/read`, { token: s!.accessToken, body: { seq: m1.seq } });
    t.equal(res.status, 204);
    t.match(await a.listed(s!, room.id), { lastReadSeq: m1.seq, unreadCount: 2 });
    await a.read(s!, room.id, own.seq);
    t.match(await a.listed(s!, room.id), { lastReadSeq: m1.seq, unreadCount: 2 }, 'never moves back');
    await a.edit(b!, room.id, m3.id, 'three, edited');
    t.match(await a.listed(s!, room.id), { lastReadSeq: m1.seq, unreadCount: 2 }, 'an edit is not a new unread message');
    await a.remove(b!, room.id, m2.id);
    t.match(await a.listed(s!, room.id), { unreadCount: 1 }, 'a deleted message is not unread');
    await a.read(s!, room.id, 1_000_000);
    const lastSeq = (await a.room(s!, room.id)).lastSeq;
    t.match(await a.listed(s!, room.id), { lastReadSeq: lastSeq, unreadCount: 0 }, 'beyond lastSeq is taken as lastSeq');
    await a.post(b!, room.id, 'four');
    t.match(await a.listed(s!, room.id), { lastReadSeq: lastSeq, unreadCount: 1 }, 'the clamp did not skip future messages');
    t.match(await a.listed(b!, room.id), { unreadCount: 1 }, "b's own messages are not unread; s's one is");
    t.ok(m3.seq > 0);
  });

  t.test('read markers are per user and bad seq is 400', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const m = await a.post(s!, room.id, 'x');
    await a.read(b!, room.id, m.seq);
    t.match(await a.listed(b!, room.id), { lastReadSeq: m.seq, unreadCount: 0 });
    t.match(await a.listed(s!, room.id), { lastReadSeq: 2 }, "s's marker did not move");
    for (const seq of [-1, 'abc', 1.5, null, undefined]) {
      const body = seq === undefined ? {} : { seq };
      isError(t, await a.req('POST', `/v1/rooms/${room.id}/read`, { token: b!.accessToken, body }), 400, 'VALIDATION_FAILED', 'seq', JSON.stringify(seq ?? 'missing'));
    }
    t.match(await a.listed(b!, room.id), { lastReadSeq: m.seq }, 'refused reads change nothing');
  });
}
