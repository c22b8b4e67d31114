import t from 'tap';
import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError } from '@chat/shared/kernel/errors';
import type { MessageView } from '@chat/shared/events/timeline-events';
import { decide, decideCreate } from '../src/domain/room.decide';
import { evolve } from '../src/domain/room.evolve';
import type { RoomState } from '../src/domain/room.state';

const now = '2026-11-25T00:00:00.000Z';
let n = 0;
const ctx = (message?: MessageView) => ({ now, newId: () => `id-${++n}`, message });
const [owner, admin, member, outsider] = ['owner', 'admin', 'member', 'outsider'];

/** given: a group with an owner, an admin and a member. */
function group(): RoomState {
  const made = decideCreate({ type: 'createRoom', actorId: owner, roomType: 'group', name: 'g', memberIds: [admin, member] }, undefined, ctx());
  for (const e of made.events) evolve(made.state, e);
  const promote = decide({ type: 'changeRole', actorId: owner, roomId: made.state.id, userId: admin, role: 'admin' }, made.state, ctx());
  for (const e of promote.events) evolve(made.state, e);
  return made.state;
}

t.test('creating a group: room.created at seq 1, then member.joined, creator first as owner', async (t) => {
  const made = decideCreate({ type: 'createRoom', actorId: owner, roomType: 'group', name: 'g', memberIds: [member, owner, member] }, undefined, ctx());
  t.same(made.events.map((e) => [e.seq, e.type]), [[1, 'room.created'], [2, 'member.joined'], [3, 'member.joined']]);
  const joined = made.events.slice(1).map((e) => (e.type === 'member.joined' ? [e.member.userId, e.member.role] : []));
  t.same(joined, [[owner, 'owner'], [member, 'member']]);
  t.equal(made.events[0]!.type === 'room.created' && made.events[0]!.room.lastSeq, 3);
});

t.test('a direct room asked for again re-adds a member who left and makes no new room', async (t) => {
  const made = decideCreate({ type: 'createRoom', actorId: owner, roomType: 'direct', name: null, memberIds: [member] }, undefined, ctx());
  for (const e of made.events) evolve(made.state, e);
  t.equal(made.state.members.get(owner)?.role, 'member', 'both users of a direct room are members');
  made.state.members.delete(member);
  const again = decideCreate({ type: 'createRoom', actorId: member, roomType: 'direct', name: null, memberIds: [owner] }, made.state, ctx());
  t.equal(again.created, false);
  t.same(again.events.map((e) => e.type), ['member.joined']);
});

t.test('rules answer 404 to outsiders before any 403', async (t) => {
  const room = group();
  t.throws(() => decide({ type: 'renameRoom', actorId: outsider, roomId: room.id, name: 'x' }, room, ctx()), NotFoundError);
  t.throws(() => decide({ type: 'deleteRoom', actorId: outsider, roomId: room.id }, room, ctx()), NotFoundError);
  t.throws(() => decide({ type: 'postMessage', actorId: outsider, roomId: room.id, clientMsgId: 'c', body: 'b' }, room, ctx()), NotFoundError);
  t.throws(() => decide({ type: 'renameRoom', actorId: member, roomId: room.id, name: 'x' }, room, ctx()), ForbiddenError);
  t.throws(() => decide({ type: 'deleteRoom', actorId: admin, roomId: room.id }, room, ctx()), ForbiddenError);
  t.throws(() => decide({ type: 'changeRole', actorId: admin, roomId: room.id, userId: member, role: 'admin' }, room, ctx()), ForbiddenError);
});

t.test('removal: admins cannot remove the owner or admins; the owner cannot leave a group with others', async (t) => {
  const room = group();
  t.throws(() => decide({ type: 'removeMember', actorId: admin, roomId: room.id, userId: owner }, room, ctx()), ForbiddenError);
  t.throws(() => decide({ type: 'removeMember', actorId: member, roomId: room.id, userId: admin }, room, ctx()), ForbiddenError);
  t.throws(() => decide({ type: 'removeMember', actorId: owner, roomId: room.id, userId: owner }, room, ctx()), ConflictError);
  const kick = decide({ type: 'removeMember', actorId: admin, roomId: room.id, userId: member }, room, ctx());
  t.same(kick.events.map((e) => e.type), ['member.left']);
  const leave = decide({ type: 'removeMember', actorId: member, roomId: room.id, userId: member }, room, ctx());
  t.same(leave.events.map((e) => e.type), ['member.left']);
});

t.test('posting numbers the message with the next seq; a repeated clientMsgId makes no event', async (t) => {
  const room = group();
  const first = decide({ type: 'postMessage', actorId: member, roomId: room.id, clientMsgId: 'c1', body: 'hi' }, room, ctx());
  const posted = first.events[0]!;
  t.equal(posted.seq, room.lastSeq + 1);
  t.equal(posted.type === 'message.posted' && posted.message.seq, posted.seq, 'message seq is its event seq');
  const message = posted.type === 'message.posted' ? posted.message : undefined;
  const again = decide({ type: 'postMessage', actorId: member, roomId: room.id, clientMsgId: 'c1', body: 'other' }, room, ctx(message));
  t.same(again.events, []);
  t.match(again.outcome, { kind: 'message', created: false, existing: { body: 'hi' } });
});

t.test('edit and delete: sender edits; sender or managers delete; deleted is gone for edits, idempotent for deletes', async (t) => {
  const room = group();
  const message: MessageView = { id: randomUUID(), roomId: room.id, seq: 9, senderId: member, clientMsgId: 'c', body: 'b', createdAt: now, editedAt: null, deleted: false };
  t.throws(() => decide({ type: 'editMessage', actorId: owner, roomId: room.id, messageId: message.id, body: 'x' }, room, ctx(message)), ForbiddenError);
  const edit = decide({ type: 'editMessage', actorId: member, roomId: room.id, messageId: message.id, body: 'x' }, room, ctx(message));
  t.match(edit.events[0], { type: 'message.edited', message: { body: 'x', editedAt: now } });
  t.same(decide({ type: 'deleteMessage', actorId: admin, roomId: room.id, messageId: message.id }, room, ctx(message)).events.map((e) => e.type), ['message.deleted']);
  t.throws(() => decide({ type: 'deleteMessage', actorId: outsider, roomId: room.id, messageId: message.id }, room, ctx(message)), NotFoundError);
  const gone = { ...message, deleted: true, body: '' };
  t.throws(() => decide({ type: 'editMessage', actorId: member, roomId: room.id, messageId: message.id, body: 'x' }, room, ctx(gone)), NotFoundError);
  t.same(decide({ type: 'deleteMessage', actorId: member, roomId: room.id, messageId: message.id }, room, ctx(gone)).events, []);
});

t.test('a deleted room answers 404 to everyone', async (t) => {
  const room = group();
  for (const e of decide({ type: 'deleteRoom', actorId: owner, roomId: room.id }, room, ctx()).events) evolve(room, e);
  t.throws(() => decide({ type: 'postMessage', actorId: owner, roomId: room.id, clientMsgId: 'c', body: 'b' }, room, ctx()), NotFoundError);
});
