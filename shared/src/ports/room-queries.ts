import type { MemberView, MessageView, Role, RoomView, TimelineEvent } from '../events/timeline-events';

export interface RoomListEntry extends RoomView {
  lastReadSeq: number;
  unreadCount: number;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

/**
 * The read side of rooms and timelines. Every method that takes a userId
 * answers NotFoundError when that user is not a member now (no existence leak).
 */
export interface RoomQueries {
  /** The caller's role, or null when not a member (or no such room). */
  roleOf(roomId: string, userId: string): Promise<Role | null>;
  room(roomId: string, userId: string): Promise<RoomView>;
  roomsOf(userId: string): Promise<RoomListEntry[]>;
  members(roomId: string, userId: string): Promise<MemberView[]>;
  messages(roomId: string, userId: string, cursor: { before?: number; after?: number; limit: number }): Promise<Page<MessageView>>;
  events(roomId: string, userId: string, after: number, limit: number): Promise<Page<TimelineEvent>>;
  /** The stored timeline after `after`, with no membership check: for trusted callers that checked already (WS replay). */
  eventsAfter(roomId: string, after: number, limit: number): Promise<Page<TimelineEvent>>;
  /** Moves the reader's marker forward, clamped to lastSeq. */
  markRead(roomId: string, userId: string, seq: number): Promise<void>;
  /** Members of every room the user is in (for presence fan-out). */
  coMembersOf(userId: string): Promise<string[]>;
  roomIdsOf(userId: string): Promise<string[]>;
  lastSeq(roomId: string): Promise<number>;
}
