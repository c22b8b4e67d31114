import type { Test } from 'tap';
import { sleep } from './client';
import { isError, isoUtc, type Ctx } from './harness';

/** Creating, listing, renaming and deleting rooms; group and direct rules. */
export function roomsSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const create = (token: string, body: unknown) => a.req('POST', '/v1/rooms', { token, body });

  t.test('a group room: 201 {room}, creator is owner, timeline starts with room.created then member.joined', async (t) => {
    const [s, b, c] = await a.users(3);
    const res = await create(s!.accessToken, { type: 'group', name: '개발팀 chat', memberIds: [b!.user.id, c!.user.id] });
    t.equal(res.status, 201);
    const room = res.body.room;
    t.match(room, { type: 'group', name: '개발팀 chat', createdBy: s!.user.id, lastSeq: 4, memberCount: 3 });
    t.type(room.id, 'string');
    t.ok(isoUtc(room.createdAt), 'createdAt is ISO-8601 UTC');
    const events = (await a.events(s!, room.id)).events;
    t.same(events.map((e: { seq: number }) => e.seq), [1, 2, 3, 4], 'seq 1..4');
    t.match(events[0], { seq: 1, type: 'room.created', roomId: room.id, actorId: s!.user.id, room: { id: room.id, name: '개발팀 chat' } });
    t.ok(isoUtc(events[0].occurredAt), 'occurredAt');
    t.match(events[1], { seq: 2, type: 'member.joined', member: { userId: s!.user.id, role: 'owner' } });
    const joined = events.slice(2).map((e: { type: string; member: { userId: string; role: string } }) => [e.type, e.member.userId, e.member.role]);
    t.same(joined.sort(), [['member.joined', b!.user.id, 'member'], ['member.joined', c!.user.id, 'member']].sort(), 'then each initial member');
    const members = await a.members(s!, room.id);
    t.equal(members.length, 3);
    t.match(members.find((m: { userId: string }) => m.userId === s!.user.id), { role: 'owner' });
    t.ok(members.every((m: { joinedAt: string }) => isoUtc(m.joinedAt)), 'joinedAt on every member');
    t.same(await a.room(b!, room.id), room, 'members see the same room');
  });

  t.test("a group needs a name of 1–100 characters; the caller's own id in memberIds is ignored", async (t) => {
    const [s, b] = await a.users(2);
    isError(t, await create(s!.accessToken, { type: 'group' }), 400, 'VALIDATION_FAILED', 'name', 'no name');
    for (const name of ['', 'n'.repeat(101), '가'.repeat(101), 5, null]) {
      isError(t, await create(s!.accessToken, { type: 'group', name }), 400, 'VALIDATION_FAILED', 'name', JSON.stringify(name).slice(0, 20));
    }
    t.equal((await create(s!.accessToken, { type: 'group', name: '😀'.repeat(100) })).status, 201, '100 emoji');
    const nfd = await create(s!.accessToken, { type: 'group', name: 'Cafe\u0301 \u1112\u1161\u11ab' });
    t.equal(nfd.body.room?.name, 'Café 한', 'a room name is stored in NFC');
    const res = await create(s!.accessToken, { type: 'group', name: 'self', memberIds: [s!.user.id, b!.user.id] });
    t.equal(res.status, 201);
    t.equal(res.body.room.memberCount, 2, 'own id ignored');
    t.equal(res.body.room.lastSeq, 3, 'room.created and two member.joined');
    const alone = await create(s!.accessToken, { type: 'group', name: 'alone' });
    t.match(alone.body.room, { memberCount: 1, lastSeq: 2 }, 'memberIds is optional');
    isError(t, await create(s!.accessToken, { type: 'channel', name: 'x' }), 400, 'VALIDATION_FAILED', 'type', 'unknown type');
    isError(t, await create(s!.accessToken, { name: 'x' }), 400, 'VALIDATION_FAILED', 'type', 'missing type');
  });

  t.test('duplicate memberIds make one member each', async (t) => {
    const [s, b, c] = await a.users(3);
    const res = await create(s!.accessToken, { type: 'group', name: 'dups', memberIds: [b!.user.id, b!.user.id, c!.user.id, b!.user.id, s!.user.id, s!.user.id] });
    t.ok(res.status === 201 || res.status === 400, `answered ${res.status}, not a 500`);
    if (res.status !== 201) return;
    t.match(res.body.room, { memberCount: 3, lastSeq: 4 }, 'three members, four events');
    t.equal((await a.members(s!, res.body.room.id)).length, 3);
  });

  t.test('a direct room has no name even if one is sent', async (t) => {
    const [s, b] = await a.users(2);
    const res = await create(s!.accessToken, { type: 'direct', name: 'ours', memberIds: [b!.user.id] });
    t.ok(res.status === 201 || res.status === 400, `answered ${res.status}`);
    if (res.status === 201) t.equal(res.body.room.name, null, 'name is null');
  });

  t.test('memberIds: up to 100; an unknown or malformed id is a 400 naming memberIds', async (t) => {
    const s = await a.register();
    const many = await a.users(101);
    const ids = many.map((u) => u.user.id);
    const hundred = await create(s.accessToken, { type: 'group', name: 'big', memberIds: ids.slice(0, 100) });
    t.equal(hundred.status, 201, '100 members accepted');
    t.equal(hundred.body.room?.memberCount, 101);
    isError(t, await create(s.accessToken, { type: 'group', name: 'too big', memberIds: ids }), 400, 'VALIDATION_FAILED', 'memberIds', '101');
    const unknown = '00000000-0000-7000-8000-000000000000';
    for (const bad of [[ids[0], unknown], ['not-an-id'], 'abc', [5], [null]]) {
      isError(t, await create(s.accessToken, { type: 'group', name: 'x', memberIds: bad }), 400, 'VALIDATION_FAILED', 'memberIds', JSON.stringify(bad).slice(0, 40));
    }
    const before = (await a.rooms(s)).length;
    await create(s.accessToken, { type: 'group', name: 'x', memberIds: [ids[1], unknown] });
    t.equal((await a.rooms(s)).length, before, 'a refused create makes no room');
  });

  t.test('direct: exactly one other user, name null, both members; repeating the pair answers 200 with the same room', async (t) => {
    const [s, b, c] = await a.users(3);
    const res = await create(s!.accessToken, { type: 'direct', memberIds: [b!.user.id] });
    t.equal(res.status, 201);
    const room = res.body.room;
    t.match(room, { type: 'direct', name: null, memberCount: 2, lastSeq: 3, createdBy: s!.user.id });
    const members = await a.members(s!, room.id);
    t.same(members.map((m: { role: string }) => m.role), ['member', 'member'], 'both are member');
    const again = await create(s!.accessToken, { type: 'direct', memberIds: [b!.user.id] });
    t.equal(again.status, 200, 'same pair again');
    t.equal(again.body.room?.id, room.id);
    const reverse = await create(b!.accessToken, { type: 'direct', memberIds: [s!.user.id] });
    t.equal(reverse.status, 200, 'the other direction');
    t.equal(reverse.body.room?.id, room.id);
    t.equal((await create(s!.accessToken, { type: 'direct', memberIds: [c!.user.id] })).status, 201, 'another pair is another room');
    for (const memberIds of [[], [b!.user.id, c!.user.id], [s!.user.id], undefined]) {
      isError(t, await create(s!.accessToken, { type: 'direct', memberIds }), 400, 'VALIDATION_FAILED', 'memberIds', JSON.stringify(memberIds ?? null));
    }
    isError(t, await create(s!.accessToken, { type: 'direct', memberIds: ['00000000-0000-7000-8000-000000000000'] }), 400, 'VALIDATION_FAILED', 'memberIds', 'unknown user');
  });

  t.test('a direct room cannot be renamed, deleted or given more members (403); either may leave', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.direct(s!, b!.user.id);
    const tok = s!.accessToken;
    isError(t, await a.req('PATCH', `/v1/rooms/${room.id}`, { token: tok, body: { name: 'x' } }), 403, 'FORBIDDEN', undefined, 'rename');
    isError(t, await a.req('DELETE', `/v1/rooms/${room.id}`, { token: tok }), 403, 'FORBIDDEN', undefined, 'delete');
    isError(t, await a.req('POST', `/v1/rooms/${room.id}/members`, { token: tok, body: { userId: c!.user.id } }), 403, 'FORBIDDEN', undefined, 'add');
    isError(t, await a.req('PATCH', `/v1/rooms/${room.id}/members/${b!.user.id}`, { token: tok, body: { role: 'admin' } }), 403, 'FORBIDDEN', undefined, 'promote');
    t.equal((await a.req('DELETE', `/v1/rooms/${room.id}/members/${b!.user.id}`, { token: b!.accessToken })).status, 204, 'b leaves');
    isError(t, await a.req('GET', `/v1/rooms/${room.id}`, { token: b!.accessToken }), 404, 'NOT_FOUND', undefined, 'b no longer sees it');
    t.equal((await a.room(s!, room.id)).memberCount, 1);
  });

  t.test('GET /v1/rooms lists my rooms, newest timeline activity first, with lastReadSeq and unreadCount', async (t) => {
    const [s, b] = await a.users(2);
    const r1 = await a.group(s!, [b!.user.id], 'one');
    await sleep(20);
    const r2 = await a.group(s!, [b!.user.id], 'two');
    await sleep(20);
    const r3 = await a.group(s!, [], 'three');
    await sleep(20);
    let list = await a.rooms(s!);
    t.same(list.map((r: { id: string }) => r.id), [r3.id, r2.id, r1.id], 'newest created first');
    t.match(list[2], { id: r1.id, type: 'group', name: 'one', lastSeq: 3, memberCount: 2, lastReadSeq: 2, unreadCount: 0 });
    await a.post(b!, r1.id, 'hello');
    await sleep(20);
    list = await a.rooms(s!);
    t.same(list.map((r: { id: string }) => r.id), [r1.id, r3.id, r2.id], 'a message moves a room to the top');
    t.match(list[0], { lastSeq: 4, unreadCount: 1 });
    await a.ok(200, 'PATCH', `/v1/rooms/${r2.id}`, { token: s!.accessToken, body: { name: 'two!' } });
    list = await a.rooms(s!);
    t.same(list.map((r: { id: string }) => r.id), [r2.id, r1.id, r3.id], 'any timeline event counts (room.updated)');
    const bl = await a.rooms(b!);
    t.same(bl.map((r: { id: string }) => r.id), [r2.id, r1.id], 'b sees only the rooms b is in');
    t.match(bl.find((r: { id: string }) => r.id === r1.id), { lastReadSeq: 3, unreadCount: 0 }, 'own message is not unread');
  });

  t.test('PATCH /v1/rooms/:id renames for owner and admin (room.updated), 403 for members', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.group(s!, [b!.user.id, c!.user.id], 'old');
    await a.setRole(s!, room.id, b!.user.id, 'admin');
    const res = await a.req('PATCH', `/v1/rooms/${room.id}`, { token: s!.accessToken, body: { name: 'new' } });
    t.equal(res.status, 200);
    t.match(res.body.room, { id: room.id, name: 'new', lastSeq: room.lastSeq + 2 });
    const ev = (await a.events(s!, room.id, `?after=${room.lastSeq + 1}`)).events;
    t.match(ev, [{ type: 'room.updated', actorId: s!.user.id, room: { id: room.id, name: 'new' } }]);
    t.equal((await a.req('PATCH', `/v1/rooms/${room.id}`, { token: b!.accessToken, body: { name: 'by admin' } })).status, 200, 'admin may');
    isError(t, await a.req('PATCH', `/v1/rooms/${room.id}`, { token: c!.accessToken, body: { name: 'by member' } }), 403, 'FORBIDDEN');
    t.equal((await a.room(c!, room.id)).name, 'by admin');
    isError(t, await a.req('PATCH', `/v1/rooms/${room.id}`, { token: s!.accessToken, body: { name: '' } }), 400, 'VALIDATION_FAILED', 'name');
    isError(t, await a.req('PATCH', `/v1/rooms/${room.id}`, { token: s!.accessToken, body: {} }), 400, 'VALIDATION_FAILED', 'name');
  });

  t.test('DELETE /v1/rooms/:id: owner only; afterwards 404 for everyone', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.group(s!, [b!.user.id, c!.user.id]);
    await a.setRole(s!, room.id, b!.user.id, 'admin');
    isError(t, await a.req('DELETE', `/v1/rooms/${room.id}`, { token: b!.accessToken }), 403, 'FORBIDDEN', undefined, 'admin');
    isError(t, await a.req('DELETE', `/v1/rooms/${room.id}`, { token: c!.accessToken }), 403, 'FORBIDDEN', undefined, 'member');
    const res = await a.req('DELETE', `/v1/rooms/${room.id}`, { token: s!.accessToken });
    t.equal(res.status, 204);
    for (const u of [s!, b!, c!]) {
      isError(t, await a.req('GET', `/v1/rooms/${room.id}`, { token: u.accessToken }), 404, 'NOT_FOUND', undefined, u.user.username);
      isError(t, await a.req('GET', `/v1/rooms/${room.id}/messages`, { token: u.accessToken }), 404, 'NOT_FOUND');
      t.notOk((await a.rooms(u)).some((r: { id: string }) => r.id === room.id), 'gone from the list');
    }
    isError(t, await a.req('DELETE', `/v1/rooms/${room.id}`, { token: s!.accessToken }), 404, 'NOT_FOUND', undefined, 'again');
  });

  // Additions (docs/api-extensions.md): GET /v1/rooms is paginated by a keyset cursor.
  const ids = (rooms: { id: string }[]) => rooms.map((r) => r.id);
  const list = (token: string, query = '') => a.req('GET', `/v1/rooms${query}`, { token });

  t.test('GET /v1/rooms?limit pages with before=nextCursor: the same order as one page, no repeats, hasMore at the end false', async (t) => {
    const [s, b] = await a.users(2);
    const made: { id: string }[] = [];
    for (let i = 0; i < 4; i++) made.push(await a.group(s!, [b!.user.id], `p${i}`));
    // Three at once: several rooms may share an activity millisecond; the room id orders them.
    made.push(...(await Promise.all([4, 5, 6].map((i) => a.group(s!, [], `p${i}`)))));
    await a.post(b!, made[1]!.id, 'moves p1 to the top');
    const whole = await list(s!.accessToken);
    t.equal(whole.status, 200);
    t.equal(whole.body.rooms.length, 7, 'no query: every room (fewer than a page)');
    t.equal(whole.body.hasMore, false, 'hasMore false');
    t.equal(whole.body.nextCursor, null, 'no nextCursor');
    t.equal(whole.body.rooms[0].id, made[1]!.id, 'newest activity first');
    const paged: { id: string }[] = [];
    let query = '?limit=3';
    const sizes = [];
    for (let guard = 0; guard < 10; guard++) {
      const res = await list(s!.accessToken, query);
      t.equal(res.status, 200, `page ${guard}`);
      paged.push(...res.body.rooms);
      sizes.push(res.body.rooms.length);
      if (!res.body.hasMore) {
        t.equal(res.body.nextCursor, null, 'the last page has no nextCursor');
        break;
      }
      t.type(res.body.nextCursor, 'string', 'a page with more has a nextCursor');
      query = `?limit=3&before=${encodeURIComponent(res.body.nextCursor)}`;
    }
    t.same(sizes, [3, 3, 1], 'pages of 3, 3, 1');
    t.same(ids(paged), ids(whole.body.rooms), 'pages concatenate to the whole list, in order, no repeats');
    t.match(paged.find((r) => r.id === made[1]!.id), { lastSeq: 4, lastReadSeq: 2, unreadCount: 1 }, 'entries keep lastReadSeq and unreadCount');
    const one = await list(s!.accessToken, '?limit=1');
    t.same([ids(one.body.rooms), one.body.hasMore], [[made[1]!.id], true], 'limit=1');
  });

  t.test('GET /v1/rooms without a query answers at most 500 rooms, then pages on with nextCursor', async (t) => {
    const [s] = await a.users(1);
    for (let i = 0; i < 503; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, 503 - i) }, (_, k) => a.group(s!, [], `many ${i + k}`)));
    }
    const first = await list(s!.accessToken);
    t.equal(first.status, 200);
    t.equal(first.body.rooms.length, 500, 'a bounded page of 500');
    t.equal(first.body.hasMore, true, 'hasMore');
    const rest = await list(s!.accessToken, `?before=${encodeURIComponent(first.body.nextCursor)}`);
    t.equal(rest.body.rooms.length, 3, 'the rest');
    t.equal(rest.body.hasMore, false);
    t.equal(new Set([...ids(first.body.rooms), ...ids(rest.body.rooms)]).size, 503, 'every room once');
  });

  t.test('GET /v1/rooms: a bad limit or cursor is a 400 naming the field', async (t) => {
    const s = await a.register();
    await a.group(s, [], 'one');
    for (const limit of ['0', '501', 'x', '1.5', '-1', '']) {
      isError(t, await list(s.accessToken, `?limit=${limit}`), 400, 'VALIDATION_FAILED', 'limit', `limit=${limit}`);
    }
    const junk = Buffer.from('not a cursor').toString('base64url');
    for (const before of ['', 'x', '!!!', junk, Buffer.from('12.').toString('base64url'), 'a'.repeat(300)]) {
      isError(t, await list(s.accessToken, `?before=${encodeURIComponent(before)}`), 400, 'VALIDATION_FAILED', 'before', `before=${before.slice(0, 20)}`);
    }
    isError(t, await list(s.accessToken, '?before=a&before=b'), 400, 'VALIDATION_FAILED', 'before', 'before twice');
    const t0 = Buffer.from(`0.${'0'.repeat(8)}-0000-7000-8000-000000000000`).toString('base64url');
    const none = await list(s.accessToken, `?before=${t0}`);
    t.same([none.status, none.body.rooms, none.body.hasMore], [200, [], false], 'a well-formed cursor past the end answers an empty page');
  });
}
