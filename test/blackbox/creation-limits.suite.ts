import type { Test } from 'tap';
import { sleep, type Res, type Session } from './client';
import { isError, ownServer, type Ctx, isBurstThenLimited } from './harness';

/**
 * Creation spam: room creation and member additions are token buckets per
 * user (429 RATE_LIMITED with Retry-After), generous for people, switched off
 * with RATE_LIMIT_ENABLED=false like the other limits.
 */
export function creationLimitsSuite(t: Test, ctx: Ctx): void {
  const retryAfter = (res: Res) => Number(res.headers.get('retry-after'));

  t.test('with low room and member limits', async (t) => {
    const own = await ownServer(t, ctx, {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_ROOMS_PER_SECOND: '1',
      RATE_LIMIT_ROOMS_BURST: '3',
      RATE_LIMIT_MEMBERS_PER_SECOND: '1',
      RATE_LIMIT_MEMBERS_BURST: '3',
    });
    const a = own.api;
    const create = (s: Session, body: unknown) => a.req('POST', '/v1/rooms', { token: s.accessToken, body });
    const add = (s: Session, roomId: string, userId: string) => a.req('POST', `/v1/rooms/${roomId}/members`, { token: s.accessToken, body: { userId } });

    t.test('room creation beyond the burst is 429 RATE_LIMITED with Retry-After and creates nothing', async (t) => {
      const [s, victim, other] = await a.users(3);
      const results: Res[] = [];
      for (let i = 0; i < 8; i++) results.push(await create(s!, { type: 'group', name: `spam ${i}`, memberIds: [victim!.user.id] }));
      const statuses = results.map((r) => r.status);
      t.same(statuses.slice(0, 3), [201, 201, 201], `the burst is served: ${statuses.join(',')}`);
      const i = statuses.indexOf(429);
      t.ok(i >= 3, 'then refused');
      if (i < 0) return;
      isError(t, results[i]!, 429, 'RATE_LIMITED');
      const after = retryAfter(results[i]!);
      t.ok(Number.isInteger(after) && after >= 1 && after <= 60, `Retry-After is whole seconds (${results[i]!.headers.get('retry-after')})`);
      const created = statuses.filter((s) => s === 201).length;
      t.equal((await a.rooms(victim!)).length, created, 'refused creations made no room');
      isError(t, await create(s!, { type: 'group' }), 400, 'VALIDATION_FAILED', 'name', 'a malformed create is still a 400 while limited');
      t.equal((await create(other!, { type: 'group', name: 'mine' })).status, 201, 'another user is not limited');
      await sleep(after * 1000 + 200);
      t.equal((await create(s!, { type: 'group', name: 'later' })).status, 201, 'served again after Retry-After');
    });

    t.test('asking again for a direct pair takes a token too (it answers 200 while tokens last)', async (t) => {
      const [s, b] = await a.users(2);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await create(s!, { type: 'direct', memberIds: [b!.user.id] })).status);
      t.same(statuses.slice(0, 3), [201, 200, 200], `first 201, repeats 200: ${statuses.join(',')}`);
      t.ok(statuses.slice(3).includes(429), 'then 429');
      t.equal((await a.rooms(b!)).length, 1, 'one direct room');
    });

    t.test('member additions beyond the burst are 429 with Retry-After and add nothing', async (t) => {
      const [s, ...others] = await a.users(9);
      const room = await a.group(s!, [], 'members');
      const results: Res[] = [];
      for (const o of others.slice(0, 6)) results.push(await add(s!, room.id, o.user.id));
      const statuses = results.map((r) => r.status);
      const i = isBurstThenLimited(t, results, 3, 201);
      if (i < 0) return;
      const added = statuses.filter((s) => s === 201).length;
      t.equal((await a.members(s!, room.id)).length, 1 + added, 'refused additions added no member');
      const refusedUser = others[i]!;
      isError(t, await a.req('GET', `/v1/rooms/${room.id}`, { token: refusedUser.accessToken }), 404, 'NOT_FOUND', undefined, 'the refused user is not a member');
      await sleep(retryAfter(results[i]!) * 1000 + 200);
      t.equal((await add(s!, room.id, refusedUser.user.id)).status, 201, 'served again after Retry-After');
      const otherOwner = others[6]!;
      const otherRoom = await a.group(otherOwner, [], 'another owner');
      t.equal((await add(otherOwner, otherRoom.id, others[7]!.user.id)).status, 201, 'another user is not limited');
    });
  });

  t.test('the default limits refuse creation spam but serve a human burst', async (t) => {
    // The spam below opens more connections at once than one address may hold by default (256).
    const own = await ownServer(t, ctx, { RATE_LIMIT_ENABLED: 'true', HTTP_MAX_CONNECTIONS_PER_ADDRESS: '1000' });
    const a = own.api;
    const [s, victim] = await a.users(2);
    const create = (i: number) => a.req('POST', '/v1/rooms', { token: s!.accessToken, body: { type: 'group', name: `spam ${i}`, memberIds: [victim!.user.id] } });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await create(i)).status);
    t.same(statuses, Array(30).fill(201), 'a burst of 30 rooms, one after another, is served');
    const spam = await Promise.all(Array.from({ length: 20 }, (_, i) => create(30 + i)));
    t.ok(spam.some((r) => r.status === 429), `creation spam meets 429: ${spam.map((r) => r.status).join(',')}`);
    const room = await a.group(victim!, [], 'adds');
    const add = () => a.req('POST', `/v1/rooms/${room.id}/members`, { token: victim!.accessToken, body: { userId: s!.user.id } });
    // Adding someone already in the room answers 200 and takes a token like any addition.
    const adds: number[] = [];
    for (let i = 0; i < 200; i++) adds.push((await add()).status);
    t.equal(adds[0], 201, 'first addition');
    t.ok(adds.slice(1).every((x) => x === 200), `a burst of 200 additions, one after another, is served (${adds.filter((x) => x !== 200).length - 1} not)`);
    // More at once than a full bucket holds (200): the bucket refills while slow additions (Phase 3) run one by one.
    const more = await Promise.all(Array.from({ length: 260 }, () => add()));
    t.ok(more.some((r) => r.status === 429), `addition spam meets 429: ${more.filter((r) => r.status === 429).length} of 260`);
  });

  t.test('RATE_LIMIT_ENABLED=false switches the room and member limits off', async (t) => {
    const own = await ownServer(t, ctx, {
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_ROOMS_PER_SECOND: '1',
      RATE_LIMIT_ROOMS_BURST: '1',
      RATE_LIMIT_MEMBERS_PER_SECOND: '1',
      RATE_LIMIT_MEMBERS_BURST: '1',
    });
    const a = own.api;
    const [s, ...others] = await a.users(5);
    const rooms = [];
    for (let i = 0; i < 5; i++) rooms.push(await a.req('POST', '/v1/rooms', { token: s!.accessToken, body: { type: 'group', name: `r${i}` } }));
    t.same(rooms.map((r) => r.status), [201, 201, 201, 201, 201], 'every creation served');
    const adds = [];
    for (const o of others) adds.push((await a.req('POST', `/v1/rooms/${rooms[0]!.body.room.id}/members`, { token: s!.accessToken, body: { userId: o.user.id } })).status);
    t.same(adds, [201, 201, 201, 201], 'every addition served');
  });
}
