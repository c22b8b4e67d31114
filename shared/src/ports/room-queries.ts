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
 * A position in a user's room list, which is ordered by (activityAt, roomId)
 * descending: the list continues with the rooms after this one.
 */
export interface RoomListCursor {
  /** Epoch milliseconds of the room's newest timeline event. */
  activityAt: number;
  roomId: string;
}

/** One page of a user's rooms; `next` is where the following page starts (null when there is none). */
export interface RoomListPage extends Page<RoomListEntry> {
  next: RoomListCursor | null;
}

/**
 * The read side of rooms and timelines. Every method that takes a userId
 * answers NotFoundError when that user is not a member now (no existence leak).
 */
export interface RoomQueries {
  /** The caller's role, or null when not a member (or no such room). */
  roleOf(roomId: string, userId: string): Promise<Role | null>;
  room(roomId: string, userId: string): Promise<RoomView>;
  /** The user's rooms, newest activity first, `limit` at most, after `before` when given (keyset). */
  roomsOf(userId: string, page: { limit: number; before?: RoomListCursor }): Promise<RoomListPage>;
  members(roomId: string, userId: string): Promise<MemberView[]>;
  messages(roomId: string, userId: string, cursor: { before?: number; after?: number; limit: number }): Promise<Page<MessageView>>;
  events(roomId: string, userId: string, after: number, limit: number): Promise<Page<TimelineEvent>>;
  /** The stored timeline after `after`, with no membership check: for trusted callers that checked already (WS replay). */
  eventsAfter(roomId: string, after: number, limit: number): Promise<Page<TimelineEvent>>;
  /**
   * The user's own membership changes (`member.joined` of them, `member.left` of them) and the room's
   * `room.deleted`, with seq in (after, upTo], oldest first: whether a removed member came back, read
   * without paging through the messages between.
   */
  membershipChanges(roomId: string, userId: string, after: number, upTo: number): Promise<TimelineEvent[]>;
  /** Moves the reader's marker forward, clamped to lastSeq. */
  markRead(roomId: string, userId: string, seq: number): Promise<void>;
  /** Members of every room the user is in (for presence fan-out). */
  coMembersOf(userId: string): Promise<string[]>;
  roomIdsOf(userId: string): Promise<string[]>;
  lastSeq(roomId: string): Promise<number>;
}
