import type { MemberView, Role, RoomType, RoomView } from '@chat/shared/events/timeline-events';

export interface MemberState {
  role: Role;
  joinedAt: string;
}

/** What the writer needs to decide a room command: the room row and its members. */
export interface RoomState {
  id: string;
  type: RoomType;
  name: string | null;
  createdBy: string;
  createdAt: string;
  lastSeq: number;
  lastEventAt: string;
  directKey: string | null;
  deleted: boolean;
  members: Map<string, MemberState>;
}

export function roomView(state: RoomState): RoomView {
  return {
    id: state.id,
    type: state.type,
    name: state.name,
    createdBy: state.createdBy,
    createdAt: state.createdAt,
    lastSeq: state.lastSeq,
    memberCount: state.members.size,
  };
}

export function memberView(userId: string, m: MemberState): MemberView {
  return { userId, role: m.role, joinedAt: m.joinedAt };
}

export function directKeyOf(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

export function cloneState(state: RoomState): RoomState {
  return { ...state, members: new Map(state.members) };
}
