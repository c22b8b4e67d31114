import type { Test } from 'tap';
import { cmid, type Api, type Session } from './client';
import { isError, openWs, type Ctx } from './harness';

/** A room the caller is not in answers 404 on every route, exactly like a room that does not exist. */

interface Route {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

function roomRoutes(roomId: string, messageId: string, otherUserId: string, selfId: string): Route[] {
  const r = `/v1/rooms/${roomId}`;
  return [
    { method: 'GET', path: r },
    { method: 'PATCH', path: r, body: { name: 'hijacked' } },
    { method: 'DELETE', path: r },
    { method: 'GET', path: `${r}/members` },
    { method: 'POST', path: `${r}/members`, body: { userId: selfId } },
    { method: 'PATCH', path: `${r}/members/${otherUserId}`, body: { role: 'admin' } },
    { method: 'DELETE', path: `${r}/members/${otherUserId}` },
    { method: 'DELETE', path: `${r}/members/${selfId}` },
    { method: 'GET', path: `${r}/messages` },
    { method: 'GET', path: `${r}/messages?after=0&limit=10` },
    { method: 'POST', path: `${r}/messages`, body: { clientMsgId: cmid(), body: 'intruder' } },
    { method: 'PATCH', path: `${r}/messages/${messageId}`, body: { body: 'hijacked' } },
    { method: 'DELETE', path: `${r}/messages/${messageId}` },
    { method: 'GET', path: `${r}/events` },
    { method: 'GET', path: `${r}/events?after=0&limit=5` },
    { method: 'POST', path: `${r}/read`, body: { seq: 1 } },
    { method: 'GET', path: `${r}/presence` },
    { method: 'GET', path: `/v1/search?q=secret&roomId=${roomId}` },
  ];
}

async function expectAll404(t: Test, a: Api, who: Session, routes: Route[], label: string): Promise<void> {
  for (const { method, path, body } of routes) {
    const res = await a.req(method, path, { token: who.accessToken, ...(body === undefined ? {} : { body }) });
    isError(t, res, 404, 'NOT_FOUND', undefined, `${label}: ${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')}`);
  }
}

export function visibilitySuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('a non-member gets 404 NOT_FOUND on every room route, and nothing changes', async (t) => {
    const [owner, member, stranger] = await a.users(3);
    const room = await a.group(owner!, [member!.user.id], 'private');
    const msg = await a.post(owner!, room.id, 'secret plans');
    const before = await a.timeline(owner!, room.id);
    await expectAll404(t, a, stranger!, roomRoutes(room.id, msg.id, member!.user.id, stranger!.user.id), 'stranger');
    const after = await a.timeline(owner!, room.id);
    t.same(after, before, 'the timeline is untouched');
    t.equal((await a.room(owner!, room.id)).name, 'private');
    t.equal((await a.members(owner!, room.id)).length, 2);
  });

  t.test('a room that does not exist answers exactly like a room I am not in', async (t) => {
    const [owner, stranger] = await a.users(2);
    const room = await a.group(owner!, [], 'private');
    const msg = await a.post(owner!, room.id, 'hi');
    const ghost = '00000000-0000-7000-8000-000000000000';
    const real = roomRoutes(room.id, msg.id, owner!.user.id, stranger!.user.id);
    const fake = roomRoutes(ghost, msg.id, owner!.user.id, stranger!.user.id);
    for (let i = 0; i < real.length; i++) {
      const r = real[i]!;
      const f = fake[i]!;
      const rr = await a.req(r.method, r.path, { token: stranger!.accessToken, ...(r.body === undefined ? {} : { body: r.body }) });
      const fr = await a.req(f.method, f.path, { token: stranger!.accessToken, ...(f.body === undefined ? {} : { body: f.body }) });
      t.equal(rr.status, fr.status, `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, ':id')}: same status`);
      t.equal(rr.body?.error?.code, fr.body?.error?.code, 'same code');
    }
    await expectAll404(t, a, stranger!, roomRoutes('not-even-an-id', 'nor-this', 'x', stranger!.user.id), 'malformed ids');
  });

  t.test('a member who left gets 404 everywhere', async (t) => {
    const [owner, leaver] = await a.users(2);
    const room = await a.group(owner!, [leaver!.user.id]);
    const msg = await a.post(leaver!, room.id, 'my message');
    await a.ok(204, 'DELETE', `/v1/rooms/${room.id}/members/${leaver!.user.id}`, { token: leaver!.accessToken });
    const routes = roomRoutes(room.id, msg.id, owner!.user.id, leaver!.user.id);
    await expectAll404(t, a, leaver!, routes, 'former member');
    t.equal((await a.allMessages(owner!, room.id))[0]?.body, 'my message', 'their message stays');
  });

  t.test('a deleted room is 404 on every route for its former owner', async (t) => {
    const [owner, member] = await a.users(2);
    const room = await a.group(owner!, [member!.user.id]);
    const msg = await a.post(owner!, room.id, 'bye');
    await a.ok(204, 'DELETE', `/v1/rooms/${room.id}`, { token: owner!.accessToken });
    await expectAll404(t, a, owner!, roomRoutes(room.id, msg.id, member!.user.id, owner!.user.id), 'deleted room, owner');
    await expectAll404(t, a, member!, roomRoutes(room.id, msg.id, owner!.user.id, member!.user.id), 'deleted room, member');
  });

  t.test('a message id from another room is 404', async (t) => {
    const [s] = await a.users(1);
    const r1 = await a.group(s!, [], 'one');
    const r2 = await a.group(s!, [], 'two');
    const m2 = await a.post(s!, r2.id, 'in two');
    isError(t, await a.req('PATCH', `/v1/rooms/${r1.id}/messages/${m2.id}`, { token: s!.accessToken, body: { body: 'x' } }), 404, 'NOT_FOUND');
    isError(t, await a.req('DELETE', `/v1/rooms/${r1.id}/messages/${m2.id}`, { token: s!.accessToken }), 404, 'NOT_FOUND');
    t.equal((await a.allMessages(s!, r2.id))[0]?.body, 'in two', 'untouched');
  });

  t.test('WS subscribe to a room I am not in, or that does not exist, is error NOT_FOUND', async (t) => {
    const [owner, stranger] = await a.users(2);
    const room = await a.group(owner!, [], 'private');
    const ws = await openWs(t, ctx, stranger!.accessToken);
    for (const roomId of [room.id, '00000000-0000-7000-8000-000000000000', 'garbage']) {
      ws.send({ type: 'subscribe', roomId, sinceSeq: 0 });
      const err = await ws.next((f) => f.type === 'error' || f.type === 'subscribed', 5000, `answer to subscribe ${roomId}`);
      t.match(err, { type: 'error', code: 'NOT_FOUND' }, `subscribe ${roomId.slice(0, 12)}`);
    }
    const sent = await ws.sendMessage(room.id, cmid(), 'intruder');
    t.match(sent, { type: 'error', code: 'NOT_FOUND' }, 'send into it is NOT_FOUND');
    t.ok(ws.isOpen, 'the socket stays open');
    const leaked = ws.received.filter((f) => f.type === 'event');
    t.same(leaked, [], 'no event of that room leaked');
    t.equal((await a.allMessages(owner!, room.id)).length, 0, 'nothing was posted');
  });
}
