import type { Test } from 'tap';
import { cmid, type Session } from './client';
import { codePoints, isError, isoUtc, type Ctx } from './harness';

/** Posting (idempotency, lengths, NFC), editing and deleting messages. */
export function messagesSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  /** Posts `{clientMsgId, body}`; an `undefined` value leaves that field out. */
  const send = (s: Session, roomId: string, body: unknown, ...id: [unknown?]) =>
    a.req('POST', `/v1/rooms/${roomId}/messages`, { token: s.accessToken, body: { clientMsgId: id.length ? id[0] : cmid(), body } });

  t.test('POST answers 201 {message} with the seq of its message.posted event', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const id = cmid();
    const res = await send(s!, room.id, '안녕하세요 👋', id);
    t.equal(res.status, 201);
    const m = res.body.message;
    t.match(m, { roomId: room.id, seq: room.lastSeq + 1, senderId: s!.user.id, clientMsgId: id, body: '안녕하세요 👋', editedAt: null, deleted: false });
    t.type(m.id, 'string');
    t.ok(isoUtc(m.createdAt), 'createdAt');
    t.equal((await a.room(s!, room.id)).lastSeq, m.seq, 'room.lastSeq follows');
    const ev = (await a.events(b!, room.id, `?after=${room.lastSeq}`)).events;
    t.match(ev, [{ seq: m.seq, type: 'message.posted', actorId: s!.user.id, message: m }]);
    t.same(ev[0].message, m, 'the event carries the same message');
  });

  t.test('the same clientMsgId from the same sender answers 200 with the first message; the repeat body is ignored', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const other = await a.group(s!, [b!.user.id]);
    const id = cmid();
    const first = await send(s!, room.id, 'first', id);
    const again = await send(s!, room.id, 'second body', id);
    t.equal(again.status, 200);
    t.same(again.body.message, first.body.message, 'same id, seq and body');
    t.equal((await a.allMessages(s!, room.id)).length, 1, 'never a second message');
    t.equal((await a.room(s!, room.id)).lastSeq, first.body.message.seq, 'no new timeline event');
    const byOther = await send(b!, room.id, 'b uses the same id', id);
    t.equal(byOther.status, 201, 'another sender with the same clientMsgId is a new message');
    const elsewhere = await send(s!, other.id, 'same id, other room', id);
    t.equal(elsewhere.status, 201, 'the same clientMsgId in another room is a new message');
  });

  t.test('a repeated clientMsgId answers the message as it is now: edited, or its tombstone', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const id = cmid();
    const m = await a.post(s, room.id, 'original', id);
    const edited = await a.edit(s, room.id, m.id, 'edited');
    t.same((await send(s, room.id, 'retry', id)).body.message, edited, 'edited version');
    await a.remove(s, room.id, m.id);
    const res = await send(s, room.id, 'retry again', id);
    t.equal(res.status, 200);
    t.match(res.body.message, { id: m.id, seq: m.seq, body: '', deleted: true }, 'tombstone');
  });

  t.test('clientMsgId is 1–64 characters', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    for (const id of ['', 'x'.repeat(65), '가'.repeat(65), 5, null, undefined]) {
      isError(t, await send(s, room.id, 'hi', id), 400, 'VALIDATION_FAILED', 'clientMsgId', JSON.stringify(id ?? 'missing').slice(0, 12));
    }
    for (const id of ['x', 'x'.repeat(64), '😀'.repeat(64)]) t.equal((await send(s, room.id, 'hi', id)).status, 201, `${codePoints(id)} code points`);
  });

  t.test('body is 1–4000 code points after trimming; whitespace-only is 400', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const ok = ['x', 'x'.repeat(4000), '😀'.repeat(4000), `   ${'y'.repeat(4000)}\n\t `, '한'.repeat(4000)];
    for (const body of ok) {
      const res = await send(s, room.id, body);
      t.equal(res.status, 201, `${codePoints(body)} code points (${body.length} UTF-16 units) accepted`);
    }
    const emoji = (await a.allMessages(s, room.id))[2];
    t.equal(codePoints(emoji?.body ?? ''), 4000, '4000 emoji stored whole');
    const bad = ['', '   ', '\n\t \r\n', '\u3000\u00a0 ', 'x'.repeat(4001), '😀'.repeat(4001), 5, null, undefined, ['x'], { b: 1 }];
    for (const body of bad) {
      isError(t, await send(s, room.id, body), 400, 'VALIDATION_FAILED', 'body', JSON.stringify(body ?? 'missing').slice(0, 16));
    }
    t.equal((await a.allMessages(s, room.id)).length, ok.length, 'refused sends store nothing');
  });

  t.test('text is stored in Unicode NFC', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const decomposed = 'cafe\u0301 \u1112\u1161\u11ab\u1100\u1173\u11af'; // café 한글 in NFD
    const m = await a.post(s, room.id, decomposed);
    t.equal(m.body, decomposed.normalize('NFC'), 'the answer is NFC');
    t.equal((await a.allMessages(s, room.id))[0]?.body, 'café 한글', 'history is NFC');
    const e = await a.edit(s, room.id, m.id, 'A\u030a');
    t.equal(e.body, '\u00c5', 'edits are NFC too');
  });

  t.test('edit: sender only (others 403), editedAt set, seq kept, message.edited event', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!, [b!.user.id]);
    const m = await a.post(b!, room.id, 'typo');
    const res = await a.req('PATCH', `/v1/rooms/${room.id}/messages/${m.id}`, { token: b!.accessToken, body: { body: 'fixed' } });
    t.equal(res.status, 200);
    const e = res.body.message;
    t.match(e, { id: m.id, seq: m.seq, body: 'fixed', deleted: false, createdAt: m.createdAt, clientMsgId: m.clientMsgId });
    t.ok(isoUtc(e.editedAt), 'editedAt is set');
    const ev = (await a.events(s!, room.id, `?after=${m.seq}`)).events;
    t.match(ev, [{ seq: m.seq + 1, type: 'message.edited', actorId: b!.user.id, message: { id: m.id, body: 'fixed', seq: m.seq } }]);
    isError(t, await a.req('PATCH', `/v1/rooms/${room.id}/messages/${m.id}`, { token: s!.accessToken, body: { body: 'owner edit' } }), 403, 'FORBIDDEN', undefined, 'owner is not the sender');
    for (const body of ['', '  ', 'x'.repeat(4001), 7, undefined]) {
      isError(t, await a.req('PATCH', `/v1/rooms/${room.id}/messages/${m.id}`, { token: b!.accessToken, body: { body } }), 400, 'VALIDATION_FAILED', 'body');
    }
    t.equal((await a.allMessages(s!, room.id))[0]?.body, 'fixed', 'history shows the edit');
  });

  t.test('delete: sender, owner or admin; others 403; tombstone in history; deleting again is 204; editing it is 404', async (t) => {
    const [s, adm, b, c] = await a.users(4);
    const room = await a.group(s!, [adm!.user.id, b!.user.id, c!.user.id]);
    await a.setRole(s!, room.id, adm!.user.id, 'admin');
    const m1 = await a.post(b!, room.id, 'one');
    const m2 = await a.post(b!, room.id, 'two');
    const m3 = await a.post(b!, room.id, 'three');
    isError(t, await a.req('DELETE', `/v1/rooms/${room.id}/messages/${m1.id}`, { token: c!.accessToken }), 403, 'FORBIDDEN', undefined, 'another member');
    const del = await a.req('DELETE', `/v1/rooms/${room.id}/messages/${m1.id}`, { token: b!.accessToken });
    t.equal(del.status, 204, 'sender');
    t.equal(del.text, '', 'no body');
    t.equal((await a.req('DELETE', `/v1/rooms/${room.id}/messages/${m2.id}`, { token: s!.accessToken })).status, 204, 'owner');
    t.equal((await a.req('DELETE', `/v1/rooms/${room.id}/messages/${m3.id}`, { token: adm!.accessToken })).status, 204, 'admin');
    t.equal((await a.req('DELETE', `/v1/rooms/${room.id}/messages/${m1.id}`, { token: b!.accessToken })).status, 204, 'again');
    const history = await a.allMessages(c!, room.id);
    t.equal(history.length, 3, 'they stay in history');
    for (const m of history) t.match(m, { deleted: true, body: '' }, `seq ${m.seq} is a tombstone`);
    t.same(history.map((m: { id: string }) => m.id), [m1.id, m2.id, m3.id]);
    const ev = (await a.events(s!, room.id, `?after=${m3.seq}`)).events;
    t.match(ev.map((e: { type: string; messageId: string }) => [e.type, e.messageId]), [
      ['message.deleted', m1.id], ['message.deleted', m2.id], ['message.deleted', m3.id],
    ], 'one message.deleted each, none for the repeat');
    isError(t, await a.req('PATCH', `/v1/rooms/${room.id}/messages/${m1.id}`, { token: b!.accessToken, body: { body: 'resurrect' } }), 404, 'NOT_FOUND', undefined, 'edit a deleted message');
  });

  t.test('every timeline event about a deleted message is served as the tombstone, in replays too', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const m = await a.post(s, room.id, 'secret v1');
    await a.edit(s, room.id, m.id, 'secret v2');
    await a.remove(s, room.id, m.id);
    const ev = (await a.events(s, room.id, '?after=2')).events;
    t.equal(ev.length, 3);
    t.match(ev[0], { type: 'message.posted', message: { id: m.id, body: '', deleted: true } });
    t.match(ev[1], { type: 'message.edited', message: { id: m.id, body: '', deleted: true } });
    t.match(ev[2], { type: 'message.deleted', messageId: m.id });
    t.notOk(JSON.stringify(ev).includes('secret'), 'the old text appears nowhere');
  });

  t.test('unknown and malformed message ids are 404', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    for (const id of ['00000000-0000-7000-8000-000000000000', 'nope', '1', '%20']) {
      isError(t, await a.req('PATCH', `/v1/rooms/${room.id}/messages/${id}`, { token: s.accessToken, body: { body: 'x' } }), 404, 'NOT_FOUND', undefined, `PATCH ${id}`);
      isError(t, await a.req('DELETE', `/v1/rooms/${room.id}/messages/${id}`, { token: s.accessToken }), 404, 'NOT_FOUND', undefined, `DELETE ${id}`);
    }
  });
}
