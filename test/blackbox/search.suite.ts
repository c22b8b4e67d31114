import type { Test } from 'tap';
import { eventually, word, type Body, type Res, type Session } from './client';
import { isError, type Ctx } from './harness';

/** GET /v1/search: Korean, case-insensitive, NFC, membership, deleted/edited, limits, LIKE wildcards. */
export function searchSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const bodies = (res: Res): string[] => (res.body?.hits ?? []).map((h: { message: Body }) => h.message?.body);
  // Search may lag writes a little in Phase 3: positive expectations are retried for up to 3 s.
  const find = (s: Session, q: Record<string, string | number>, ok: (r: Res) => boolean) => eventually(() => a.search(s, q), ok, 3000);

  t.test('Korean: 서버 finds 서버가 죽었어요 and 채팅서버, newest first, as {hits: [{message}]}', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const tag = word();
    const m1 = await a.post(s, room.id, `${tag} 서버가 죽었어요`);
    const m2 = await a.post(s, room.id, `${tag} 채팅서버`);
    await a.post(s, room.id, `${tag} 클라이언트`);
    const res = await find(s, { q: `서버`, roomId: room.id }, (r) => bodies(r).length >= 2);
    t.equal(res.status, 200);
    t.same(res.body.hits.map((h: { message: Body }) => h.message.id), [m2.id, m1.id], 'both, newest first');
    t.same(res.body.hits[0].message, m2, 'a hit carries the whole message');
    const all = await a.search(s, { q: '서버' });
    t.same(all.body.hits.map((h: { message: Body }) => h.message.id), [m2.id, m1.id], 'without roomId too');
    const sub = await a.search(s, { q: '죽었', roomId: room.id });
    t.same(bodies(sub), [`${tag} 서버가 죽었어요`], 'a part of a Korean word');
  });

  t.test('one-character queries, emoji and long substrings match too', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const tag = word();
    const long = `${tag}${'가나다라마바사아자차카타파하'.repeat(10)}z`;
    await a.post(s, room.id, `${tag} 서버가 죽었어요 🎉 party`);
    await a.post(s, room.id, long);
    const hit = (q: string) => find(s, { q, roomId: room.id }, (r) => bodies(r).length >= 1);
    t.equal(bodies(await hit('죽')).length, 1, 'one Hangul syllable');
    t.equal(bodies(await hit('🎉')).length, 1, 'one emoji (an astral character)');
    t.equal(bodies(await hit('🎉 PA')).length, 1, 'emoji followed by text');
    t.equal(bodies(await hit(long.slice(20, 200))).length, 1, 'a 180-character substring of a long word');
    t.same(bodies(await a.search(s, { q: `${long.slice(20, 199)}y`, roomId: room.id })), [], 'a long query that differs in its last character');
  });

  t.test('matching is case-insensitive and finds a word inside a longer word', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const tag = word();
    await a.post(s, room.id, `Hello ${tag.toUpperCase()}World`);
    for (const q of [tag, tag.toUpperCase(), `${tag}world`, `${tag.slice(2, 6)}`, 'hello']) {
      const res = await find(s, { q, roomId: room.id }, (r) => bodies(r).length === 1);
      t.equal(bodies(res).length, 1, `q=${q}`);
    }
    t.same(bodies(await a.search(s, { q: `${tag}x`, roomId: room.id })), [], 'no false hit');
  });

  t.test('text after a NUL or another control character is found, and the body comes back as sent', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const tag = word();
    const body = `head\u0000${tag}\u0001tail\u007f end`;
    await a.post(s, room.id, body);
    const res = await find(s, { q: tag, roomId: room.id }, (r) => bodies(r).length === 1);
    t.same(bodies(res), [body], 'the word after the NUL is found, and the body is unchanged');
    t.equal(bodies(await find(s, { q: 'tail', roomId: room.id }, (r) => bodies(r).length === 1)).length, 1, 'after a second control character too');
  });

  t.test('query and text are compared after NFC', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const tag = word();
    await a.post(s, room.id, `${tag} café`);
    await a.post(s, room.id, `${tag} 한글 \u1112\u1161\u11ab`); // NFD 한 at the end
    t.equal(bodies(await find(s, { q: 'cafe\u0301', roomId: room.id }, (r) => bodies(r).length === 1)).length, 1, 'NFD query finds NFC text');
    t.equal(bodies(await find(s, { q: 'CAFÉ', roomId: room.id }, (r) => bodies(r).length === 1)).length, 1, 'upper-case accented');
    t.equal(bodies(await find(s, { q: '한글 한', roomId: room.id }, (r) => bodies(r).length === 1)).length, 1, 'NFC query finds text sent in NFD');
    t.same(bodies(await a.search(s, { q: `${tag} cafe`, roomId: room.id })), [], 'no accent folding: cafe does not find café');
    await a.post(s, room.id, `${tag} Straße ÄRGER`);
    t.equal(bodies(await find(s, { q: 'ärger', roomId: room.id }, (r) => bodies(r).length === 1)).length, 1, 'non-ASCII lower-casing');
    t.same(bodies(await a.search(s, { q: 'strasse', roomId: room.id })), [], 'ß is not folded to ss');
  });

  t.test('only rooms the caller is a member of now; roomId not mine is 404', async (t) => {
    const [s, b] = await a.users(2);
    const mine = await a.group(b!, [s!.user.id]);
    const theirs = await a.group(b!);
    const tag = word();
    await a.post(b!, mine.id, `${tag} shared`);
    await a.post(b!, theirs.id, `${tag} private`);
    const sees = await find(s!, { q: tag }, (r) => bodies(r).length >= 1);
    t.same(bodies(sees), [`${tag} shared`], 'only the shared room');
    const bSees = await find(b!, { q: tag }, (r) => bodies(r).length >= 2);
    t.equal(bodies(bSees).length, 2, 'b sees both');
    isError(t, await a.search(s!, { q: tag, roomId: theirs.id }), 404, 'NOT_FOUND', undefined, 'roomId not a member');
    isError(t, await a.search(s!, { q: tag, roomId: '00000000-0000-7000-8000-000000000000' }), 404, 'NOT_FOUND', undefined, 'unknown roomId');
    await a.ok(204, 'DELETE', `/v1/rooms/${mine.id}/members/${s!.user.id}`, { token: s!.accessToken });
    t.same(bodies(await find(s!, { q: tag }, (r) => bodies(r).length === 0)), [], 'after leaving: no hits');
    isError(t, await eventually(() => a.search(s!, { q: tag, roomId: mine.id }), (r) => r.status === 404, 3000), 404, 'NOT_FOUND', undefined, 'roomId of a room I left');
  });

  t.test('deleted messages never match; edited ones match the new body only', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const [gone, before, after] = [word(), word(), word()];
    const d = await a.post(s, room.id, `${gone} to be deleted`);
    const e = await a.post(s, room.id, `${before} draft`);
    await find(s, { q: gone, roomId: room.id }, (r) => bodies(r).length === 1);
    await a.remove(s, room.id, d.id);
    await a.edit(s, room.id, e.id, `${after} final`);
    const edited = await find(s, { q: after, roomId: room.id }, (r) => bodies(r).length === 1);
    t.same(bodies(edited), [`${after} final`], 'new body matches');
    const deleted = await find(s, { q: gone, roomId: room.id }, (r) => bodies(r).length === 0);
    t.same(bodies(deleted), [], 'deleted never matches');
    const old = await find(s, { q: before, roomId: room.id }, (r) => bodies(r).length === 0);
    t.same(bodies(old), [], 'old body no longer matches');
  });

  t.test("a deleted room's messages never match", async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const tag = word();
    await a.post(b!, room.id, `${tag} in a doomed room`);
    await find(b!, { q: tag }, (r) => bodies(r).length === 1);
    await a.ok(204, 'DELETE', `/v1/rooms/${room.id}`, { token: s!.accessToken });
    for (const u of [s!, b!]) t.same(bodies(await find(u, { q: tag }, (r) => bodies(r).length === 0)), [], `no hits for ${u.user.username}`);
  });

  t.test('limit 1..50 (default 20), newest first', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const tag = word();
    for (let i = 0; i < 25; i += 5) await Promise.all([0, 1, 2, 3, 4].map((j) => a.post(s, room.id, `${tag} ${i + j}`)));
    const res = await find(s, { q: tag }, (r) => bodies(r).length === 20);
    t.equal(bodies(res).length, 20, 'default 20');
    const hitSeqs = res.body.hits.map((h: { message: { seq: number } }) => h.message.seq);
    t.same(hitSeqs, [...hitSeqs].sort((x: number, y: number) => y - x), 'newest first');
    t.equal(bodies(await a.search(s, { q: tag, limit: 1 })).length, 1, 'limit 1');
    t.equal(bodies(await find(s, { q: tag, limit: 50 }, (r) => bodies(r).length === 25)).length, 25, 'limit 50');
    for (const limit of [0, 51, -1, 'x', 2.5]) {
      isError(t, await a.search(s, { q: tag, limit }), 400, 'VALIDATION_FAILED', 'limit', `limit=${limit}`);
    }
  });

  t.test('q must be 1..200 characters', async (t) => {
    const s = await a.register();
    isError(t, await a.req('GET', '/v1/search', { token: s.accessToken }), 400, 'VALIDATION_FAILED', 'q', 'missing');
    isError(t, await a.search(s, { q: '' }), 400, 'VALIDATION_FAILED', 'q', 'empty');
    isError(t, await a.search(s, { q: 'q'.repeat(201) }), 400, 'VALIDATION_FAILED', 'q', '201');
    isError(t, await a.search(s, { q: '가'.repeat(201) }), 400, 'VALIDATION_FAILED', 'q', '201 Korean');
    t.equal((await a.search(s, { q: 'q'.repeat(200) })).status, 200, '200 ASCII');
    t.equal((await a.search(s, { q: '😀'.repeat(200) })).status, 200, '200 emoji (400 UTF-16 units)');
    isError(t, await a.search(s, { q: 'x', roomId: 'garbage' }), 404, 'NOT_FOUND', undefined, 'malformed roomId');
    isError(t, await a.req('GET', '/v1/search?q=x'), 401, 'UNAUTHENTICATED', undefined, 'no token');
  });

  t.test('% and _ in q are literal, not wildcards', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const tag = word();
    await a.post(s, room.id, `${tag} 100% sure`);
    await a.post(s, room.id, `${tag} 100 sure`);
    await a.post(s, room.id, `${tag} a_b`);
    await a.post(s, room.id, `${tag} axb`);
    await a.post(s, room.id, `${tag} back\\slash`);
    await find(s, { q: tag, roomId: room.id }, (r) => bodies(r).length === 5);
    t.same(bodies(await a.search(s, { q: '100%', roomId: room.id })), [`${tag} 100% sure`], '% is literal');
    t.same(bodies(await a.search(s, { q: '%', roomId: room.id })), [`${tag} 100% sure`], '% alone');
    t.same(bodies(await a.search(s, { q: 'a_b', roomId: room.id })), [`${tag} a_b`], '_ is literal');
    t.same(bodies(await a.search(s, { q: '_', roomId: room.id })), [`${tag} a_b`], '_ alone');
    t.same(bodies(await a.search(s, { q: 'k\\s', roomId: room.id })), [`${tag} back\\slash`], 'backslash is literal');
    t.same(bodies(await a.search(s, { q: "'; DROP TABLE messages; --", roomId: room.id })), [], 'SQL in q is just text');
  });
}
