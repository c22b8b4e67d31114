import { ConflictError, ForbiddenError, NotFoundError } from '@chat/shared/kernel/errors';
import type { MessageView, TimelineEvent, TimelineEventDraft } from '@chat/shared/events/timeline-events';
import type { RoomCommand } from '@chat/shared/ports/room-commands';
import { directKeyOf, memberView, roomView, type RoomState } from './room.state';

export interface DecideContext {
  readonly now: string;
  readonly newId: () => string;
  /** The message an edit/delete names, or the earlier message a repeated clientMsgId names. */
  readonly message?: MessageView | undefined;
}

/** What the command produced besides its events; the writer turns it into the reply. */
export type Outcome =
  | { kind: 'room'; created: boolean }
  | { kind: 'member'; userId: string; created: boolean }
  | { kind: 'message'; messageId: string; created: boolean; existing?: MessageView }
  | { kind: 'done' };

export interface Decision {
  readonly events: TimelineEvent[];
  readonly outcome: Outcome;
}

function memberOf(state: RoomState | undefined, userId: string): RoomState {
  if (!state || state.deleted || !state.members.has(userId)) throw new NotFoundError('room');
  return state;
}

function isManager(state: RoomState, userId: string): boolean {
  const role = state.members.get(userId)?.role;
  return role === 'owner' || role === 'admin';
}

/** Numbers drafts from the room's next seq. */
function numbered(state: RoomState, drafts: TimelineEventDraft[]): TimelineEvent[] {
  return drafts.map((d, i) => ({ ...d, seq: state.lastSeq + i + 1 }) as TimelineEvent);
}

/**
 * decide(command, state) → events. Pure: refusals throw typed errors, checked
 * in the contract's order (not a member → 404 before a missing right → 403).
 */
export function decide(command: RoomCommand, state: RoomState | undefined, ctx: DecideContext): Decision {
  const base = { actorId: command.actorId, occurredAt: ctx.now };
  switch (command.type) {
    case 'createRoom':
      throw new Error('createRoom is decided by decideCreate');
    case 'renameRoom': {
      const room = memberOf(state, command.actorId);
      if (room.type === 'direct') throw new ForbiddenError('a direct room cannot be renamed');
      if (!isManager(room, command.actorId)) throw new ForbiddenError('only the owner or an admin can rename the room');
      const view = { ...roomView(room), name: command.name, lastSeq: room.lastSeq + 1 };
      return { events: numbered(room, [{ ...base, type: 'room.updated', roomId: room.id, room: view }]), outcome: { kind: 'room', created: false } };
    }
    case 'deleteRoom': {
      const room = memberOf(state, command.actorId);
      if (room.type === 'direct') throw new ForbiddenError('a direct room cannot be deleted');
      if (room.members.get(command.actorId)?.role !== 'owner') throw new ForbiddenError('only the owner can delete the room');
      return { events: numbered(room, [{ ...base, type: 'room.deleted', roomId: room.id }]), outcome: { kind: 'done' } };
    }
    case 'addMember': {
      const room = memberOf(state, command.actorId);
      if (room.type === 'direct') throw new ForbiddenError('a direct room cannot take more members');
      if (!isManager(room, command.actorId)) throw new ForbiddenError('only the owner or an admin can add members');
      if (room.members.has(command.userId)) return { events: [], outcome: { kind: 'member', userId: command.userId, created: false } };
      const member = memberView(command.userId, { role: 'member', joinedAt: ctx.now });
      return { events: numbered(room, [{ ...base, type: 'member.joined', roomId: room.id, member }]), outcome: { kind: 'member', userId: command.userId, created: true } };
    }
    case 'changeRole': {
      const room = memberOf(state, command.actorId);
      const target = room.members.get(command.userId);
      if (!target) throw new NotFoundError('member');
      if (room.type === 'direct') throw new ForbiddenError('roles cannot change in a direct room');
      if (room.members.get(command.actorId)?.role !== 'owner') throw new ForbiddenError('only the owner can change roles');
      if (target.role === 'owner') throw new ForbiddenError("the owner's role cannot change");
      const member = memberView(command.userId, { ...target, role: command.role });
      return { events: numbered(room, [{ ...base, type: 'member.updated', roomId: room.id, member }]), outcome: { kind: 'member', userId: command.userId, created: false } };
    }
    case 'removeMember': {
      const room = memberOf(state, command.actorId);
      const target = room.members.get(command.userId);
      if (!target) throw new NotFoundError('member');
      if (command.userId === command.actorId) {
        if (room.type === 'group' && target.role === 'owner' && room.members.size > 1) {
          throw new ConflictError('the owner cannot leave a group that has other members; hand over ownership or delete the room');
        }
      } else {
        const actorRole = room.members.get(command.actorId)!.role;
        if (room.type === 'direct') throw new ForbiddenError('nobody can be removed from a direct room');
        if (actorRole === 'member') throw new ForbiddenError('only the owner or an admin can remove members');
        if (actorRole === 'admin' && target.role !== 'member') throw new ForbiddenError('an admin cannot remove the owner or another admin');
      }
      return { events: numbered(room, [{ ...base, type: 'member.left', roomId: room.id, userId: command.userId }]), outcome: { kind: 'done' } };
    }
    case 'postMessage': {
      const room = memberOf(state, command.actorId);
      if (ctx.message) return { events: [], outcome: { kind: 'message', messageId: ctx.message.id, created: false, existing: ctx.message } };
      const seq = room.lastSeq + 1;
      const message: MessageView = {
        id: ctx.newId(),
        roomId: room.id,
        seq,
        senderId: command.actorId,
        clientMsgId: command.clientMsgId,
        body: command.body,
        createdAt: ctx.now,
        editedAt: null,
        deleted: false,
      };
      return { events: numbered(room, [{ ...base, type: 'message.posted', roomId: room.id, message }]), outcome: { kind: 'message', messageId: message.id, created: true } };
    }
    case 'editMessage': {
      const room = memberOf(state, command.actorId);
      const old = ctx.message;
      if (!old || old.roomId !== room.id || old.deleted) throw new NotFoundError('message');
      if (old.senderId !== command.actorId) throw new ForbiddenError('only the sender can edit a message');
      const message = { ...old, body: command.body, editedAt: ctx.now };
      return { events: numbered(room, [{ ...base, type: 'message.edited', roomId: room.id, message }]), outcome: { kind: 'message', messageId: old.id, created: false } };
    }
    case 'deleteMessage': {
      const room = memberOf(state, command.actorId);
      const old = ctx.message;
      if (!old || old.roomId !== room.id) throw new NotFoundError('message');
      if (old.senderId !== command.actorId && !isManager(room, command.actorId)) throw new ForbiddenError('only the sender, the owner or an admin can delete a message');
      if (old.deleted) return { events: [], outcome: { kind: 'done' } };
      return { events: numbered(room, [{ ...base, type: 'message.deleted', roomId: room.id, messageId: old.id }]), outcome: { kind: 'done' } };
    }
    default: {
      const never: never = command;
      throw new Error(`unhandled command ${(never as RoomCommand).type}`);
    }
  }
}

/** Creating a room, or re-opening an existing direct room for a pair: room.created, then member.joined, creator first. */
export function decideCreate(
  command: Extract<RoomCommand, { type: 'createRoom' }>,
  existingDirect: RoomState | undefined,
  ctx: DecideContext,
): { state: RoomState; events: TimelineEvent[]; created: boolean } {
  const others = [...new Set(command.memberIds.filter((id) => id !== command.actorId))];
  const base = { actorId: command.actorId, occurredAt: ctx.now };
  if (existingDirect) {
    const missing = [command.actorId, ...others].filter((id) => !existingDirect.members.has(id));
    const drafts: TimelineEventDraft[] = missing.map((userId) => ({ ...base, type: 'member.joined', roomId: existingDirect.id, member: memberView(userId, { role: 'member', joinedAt: ctx.now }) }));
    return { state: existingDirect, events: numbered(existingDirect, drafts), created: false };
  }
  const id = ctx.newId();
  const state: RoomState = {
    id,
    type: command.roomType,
    name: command.roomType === 'direct' ? null : command.name,
    createdBy: command.actorId,
    createdAt: ctx.now,
    lastSeq: 0,
    lastEventAt: ctx.now,
    directKey: command.roomType === 'direct' ? directKeyOf(command.actorId, others[0]!) : null,
    deleted: false,
    members: new Map(),
  };
  const creatorRole = command.roomType === 'group' ? 'owner' : 'member';
  const joined: TimelineEventDraft[] = [command.actorId, ...others].map((userId) => ({
    ...base,
    type: 'member.joined',
    roomId: id,
    member: memberView(userId, { role: userId === command.actorId ? creatorRole : 'member', joinedAt: ctx.now }),
  }));
  const finalView = { ...roomView(state), lastSeq: joined.length + 1, memberCount: joined.length };
  const events = numbered(state, [{ ...base, type: 'room.created', roomId: id, room: finalView }, ...joined]);
  return { state, events, created: true };
}
