import type { Test } from 'tap';
import type { Session } from './client';
import { isError, isoUtc, type Ctx } from './harness';

/** Adding members, roles, removal and leaving. */
export function membersSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const add = (s: Session, roomId: string, userId: unknown) => a.req('POST', `/v1/rooms/${roomId}/members`, { token: s.accessToken, body: { userId } });
  const kick = (s: Session, roomId: string, userId: string) => a.req('DELETE', `/v1/rooms/${roomId}/members/${userId}`, { token: s.accessToken });
  const role = (s: Session, roomId: string, userId: string, r: unknown) =>
    a.req('PATCH', `/v1/rooms/${roomId}/members/${userId}`, { token: s.accessToken, body: { role: r } });

  t.test('add: 201 {member} with member.joined; 200 when already a member; the new member starts read at their joined seq', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!);
    await a.post(s!, room.id, 'before b joined');
    const res = await add(s!, room.id, b!.user.id);
    t.equal(res.status, 201);
    t.match(res.body.member, { userId: b!.user.id, role: 'member' });
    t.ok(isoUtc(res.body.member.joinedAt), 'joinedAt');
    const ev = (await a.events(s!, room.id, '?after=3')).events;
    t.match(ev, [{ seq: 4, type: 'member.joined', actorId: s!.user.id, member: { userId: b!.user.id, role: 'member' } }]);
    const again = await add(s!, room.id, b!.user.id);
    t.equal(again.status, 200, 'already a member');
    t.match(again.body.member, { userId: b!.user.id, role: 'member' });
    t.equal((await a.room(s!, room.id)).lastSeq, 4, 'no second member.joined');
    t.match(await a.listed(b!, room.id), { lastReadSeq: 4, unreadCount: 0 }, 'earlier messages are not unread for the newcomer');
    t.equal((await a.room(b!, room.id)).memberCount, 2);
    t.equal((await a.allMessages(b!, room.id)).length, 1, 'the newcomer reads the history');
  });

  t.test('add: owner and admin may, a member may not (403); bad userId is 400', async (t) => {
    const [s, adm, m, x, y] = await a.users(5);
    const room = await a.group(s!, [adm!.user.id, m!.user.id]);
    await a.setRole(s!, room.id, adm!.user.id, 'admin');
    t.equal((await add(adm!, room.id, x!.user.id)).status, 201, 'admin adds');
    isError(t, await add(m!, room.id, y!.user.id), 403, 'FORBIDDEN', undefined, 'member adds');
    for (const userId of [undefined, 5, '', null]) {
      isError(t, await add(s!, room.id, userId), 400, 'VALIDATION_FAILED', 'userId', JSON.stringify(userId ?? 'missing'));
    }
    const ghost = await add(s!, room.id, '00000000-0000-7000-8000-000000000000');
    t.ok([400, 404].includes(ghost.status), `an unknown user is refused (${ghost.status})`);
    t.equal((await a.members(s!, room.id)).length, 4, 'owner, admin, m, x');
  });

  t.test('PATCH role: owner only, emits member.updated; role must be admin or member', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.group(s!, [b!.user.id, c!.user.id]);
    const res = await role(s!, room.id, b!.user.id, 'admin');
    t.equal(res.status, 200);
    t.match(res.body.member, { userId: b!.user.id, role: 'admin' });
    const ev = (await a.events(s!, room.id, `?after=${room.lastSeq}`)).events;
    t.match(ev, [{ seq: room.lastSeq + 1, type: 'member.updated', actorId: s!.user.id, member: { userId: b!.user.id, role: 'admin' } }]);
    isError(t, await role(b!, room.id, c!.user.id, 'admin'), 403, 'FORBIDDEN', undefined, 'admin promotes');
    isError(t, await role(c!, room.id, c!.user.id, 'admin'), 403, 'FORBIDDEN', undefined, 'member promotes self');
    for (const r of ['owner', 'god', '', 5, undefined]) {
      isError(t, await role(s!, room.id, c!.user.id, r), 400, 'VALIDATION_FAILED', 'role', JSON.stringify(r ?? 'missing'));
    }
    const outsider = (await a.users(1))[0]!;
    isError(t, await role(s!, room.id, outsider.user.id, 'admin'), 404, 'NOT_FOUND', undefined, 'not a member');
    t.match((await role(s!, room.id, b!.user.id, 'member')).body, { member: { role: 'member' } }, 'demote');
    const roles = Object.fromEntries((await a.members(s!, room.id)).map((m: { userId: string; role: string }) => [m.userId, m.role]));
    t.same(roles, { [s!.user.id]: 'owner', [b!.user.id]: 'member', [c!.user.id]: 'member' });
  });

  t.test("the owner's own role cannot be changed: the room always keeps its owner", async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    for (const r of ['member', 'admin']) {
      const res = await role(s!, room.id, s!.user.id, r);
      t.ok(res.status >= 400 && res.status < 500, `owner sets own role to ${r}: refused (${res.status} ${res.text.slice(0, 120)})`);
    }
    t.match((await a.members(s!, room.id)).find((m: { userId: string }) => m.userId === s!.user.id), { role: 'owner' }, 'still owner');
  });

  t.test('removal: owner/admin remove members (member.left); admin cannot remove owner or admin; member cannot remove', async (t) => {
    const [s, adm, adm2, m1, m2] = await a.users(5);
    const room = await a.group(s!, [adm!.user.id, adm2!.user.id, m1!.user.id, m2!.user.id]);
    await a.setRole(s!, room.id, adm!.user.id, 'admin');
    await a.setRole(s!, room.id, adm2!.user.id, 'admin');
    isError(t, await kick(m1!, room.id, m2!.user.id), 403, 'FORBIDDEN', undefined, 'member removes member');
    isError(t, await kick(adm!, room.id, s!.user.id), 403, 'FORBIDDEN', undefined, 'admin removes owner');
    isError(t, await kick(adm!, room.id, adm2!.user.id), 403, 'FORBIDDEN', undefined, 'admin removes admin');
    const lastSeq = (await a.room(s!, room.id)).lastSeq;
    const res = await kick(adm!, room.id, m1!.user.id);
    t.equal(res.status, 204, 'admin removes member');
    t.match((await a.events(s!, room.id, `?after=${lastSeq}`)).events, [{ type: 'member.left', actorId: adm!.user.id, userId: m1!.user.id }]);
    isError(t, await a.req('GET', `/v1/rooms/${room.id}`, { token: m1!.accessToken }), 404, 'NOT_FOUND', undefined, 'removed member');
    t.equal((await kick(s!, room.id, adm2!.user.id)).status, 204, 'owner removes admin');
    t.equal((await kick(s!, room.id, m2!.user.id)).status, 204, 'owner removes member');
    isError(t, await kick(s!, room.id, m2!.user.id), 404, 'NOT_FOUND', undefined, 'removing a non-member');
    t.same((await a.members(s!, room.id)).map((m: { userId: string }) => m.userId).sort(), [s!.user.id, adm!.user.id].sort());
    t.equal((await a.room(s!, room.id)).memberCount, 2);
  });

  t.test('leaving: a member leaves with 204 and then sees 404; an admin may leave', async (t) => {
    const [s, b, c] = await a.users(3);
    const room = await a.group(s!, [b!.user.id, c!.user.id]);
    await a.setRole(s!, room.id, c!.user.id, 'admin');
    t.equal((await kick(b!, room.id, b!.user.id)).status, 204, 'member leaves');
    const last = (await a.events(s!, room.id)).events.at(-1);
    t.match(last, { type: 'member.left', actorId: b!.user.id, userId: b!.user.id });
    isError(t, await a.req('GET', `/v1/rooms/${room.id}/messages`, { token: b!.accessToken }), 404, 'NOT_FOUND');
    t.notOk((await a.rooms(b!)).some((r: { id: string }) => r.id === room.id), 'gone from their list');
    t.equal((await kick(c!, room.id, c!.user.id)).status, 204, 'admin leaves');
    t.equal((await add(s!, room.id, b!.user.id)).status, 201, 'can be added back');
    t.match(await a.listed(b!, room.id), { lastReadSeq: (await a.room(s!, room.id)).lastSeq }, 'back, read up to the new member.joined');
  });

  t.test('the owner cannot leave a group with other members (409); alone they can', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    isError(t, await kick(s!, room.id, s!.user.id), 409, 'CONFLICT', undefined, 'owner leaves with b');
    t.equal((await a.members(s!, room.id)).length, 2, 'still two');
    await a.ok(204, 'DELETE', `/v1/rooms/${room.id}/members/${b!.user.id}`, { token: s!.accessToken });
    t.equal((await kick(s!, room.id, s!.user.id)).status, 204, 'owner alone leaves');
    isError(t, await a.req('GET', `/v1/rooms/${room.id}`, { token: s!.accessToken }), 404, 'NOT_FOUND');
  });

  t.test('GET members lists {userId, role, joinedAt} for members only', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const list = await a.members(b!, room.id);
    t.equal(list.length, 2);
    for (const m of list) {
      t.type(m.userId, 'string');
      t.ok(['owner', 'admin', 'member'].includes(m.role), 'role');
      t.ok(isoUtc(m.joinedAt), 'joinedAt');
    }
  });
}
