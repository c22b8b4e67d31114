/** Public objects (API.md) and the room timeline events, v1. Published shapes are never edited. */
export type Role = 'owner' | 'admin' | 'member';
export type RoomType = 'group' | 'direct';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}
export interface RoomView {
  id: string;
  type: RoomType;
  name: string | null;
  createdBy: string;
  createdAt: string;
  lastSeq: number;
  memberCount: number;
}
export interface MemberView {
  userId: string;
  role: Role;
  joinedAt: string;
}
export interface MessageView {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  body: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

interface TimelineBase {
  seq: number;
  roomId: string;
  actorId: string;
  occurredAt: string;
}

export type TimelineEvent =
  | (TimelineBase & { type: 'room.created'; room: RoomView })
  | (TimelineBase & { type: 'room.updated'; room: RoomView })
  | (TimelineBase & { type: 'room.deleted' })
  | (TimelineBase & { type: 'member.joined'; member: MemberView })
  | (TimelineBase & { type: 'member.updated'; member: MemberView })
  | (TimelineBase & { type: 'member.left'; userId: string })
  | (TimelineBase & { type: 'message.posted'; message: MessageView })
  | (TimelineBase & { type: 'message.edited'; message: MessageView })
  | (TimelineBase & { type: 'message.deleted'; messageId: string });

export type TimelineEventType = TimelineEvent['type'];
/** A timeline event before the writer numbers it. */
export type TimelineEventDraft = TimelineEvent extends infer E ? (E extends TimelineEvent ? Omit<E, 'seq'> : never) : never;

export const TIMELINE_EVENT_VERSION = 1;

/** The message id a timeline event is about, if any. */
export function messageIdOf(event: TimelineEvent): string | null {
  switch (event.type) {
    case 'message.posted':
    case 'message.edited':
      return event.message.id;
    case 'message.deleted':
      return event.messageId;
    default:
      return null;
  }
}

/** What a message looks like once deleted, in history and in every replayed event. */
export function tombstone(message: MessageView): MessageView {
  return { ...message, body: '', deleted: true };
}
