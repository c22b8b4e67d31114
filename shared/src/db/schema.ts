import type { Generated } from 'kysely';

/** Times are epoch milliseconds (BIGINT): identical on MySQL and SQLite. */
export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: number;
}

export interface RefreshTokensTable {
  id: string;
  family_id: string;
  user_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export interface RoomsTable {
  id: string;
  type: 'group' | 'direct';
  name: string | null;
  created_by: string;
  created_at: number;
  last_seq: number;
  last_event_at: number;
  member_count: number;
  /** "userA:userB" (sorted) for direct rooms, so a pair has one room. */
  direct_key: string | null;
  deleted_at: number | null;
}

export interface MembersTable {
  room_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member';
  joined_at: number;
  last_read_seq: number;
}

/** The room timeline: the event log and the commit point (DESIGN invariant 4). */
export interface RoomEventsTable {
  room_id: string;
  seq: number;
  event_id: string;
  type: string;
  message_id: string | null;
  occurred_at: number;
  /** The timeline event as served, JSON. Scrubbed to the tombstone when its message is deleted. */
  payload: string;
}

export interface MessagesTable {
  id: string;
  room_id: string;
  seq: number;
  sender_id: string;
  client_msg_id: string;
  body: string;
  /** NFC + lower-case body, what search matches. Empty once deleted. */
  body_search: string;
  created_at: number;
  edited_at: number | null;
  deleted: number;
}

/** Transactional outbox: rows are written with the change and deleted once published. */
export interface OutboxTable {
  id: Generated<number>;
  event: string;
  created_at: number;
}

export interface NotificationUsernamesTable {
  username: string;
  user_id: string;
}

/** Mentions of a username not yet in notification_usernames, until its user.registered is handled. */
export interface NotificationParkedMentionsTable {
  username: string;
  message_id: string;
  room_id: string;
  actor_id: string;
  seq: number;
  created_at: number;
  parked_at: number;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  kind: 'mention';
  room_id: string;
  message_id: string;
  actor_id: string;
  seq: number;
  created_at: number;
}

export interface Database {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  rooms: RoomsTable;
  members: MembersTable;
  room_events: RoomEventsTable;
  messages: MessagesTable;
  outbox: OutboxTable;
  notification_usernames: NotificationUsernamesTable;
  notifications: NotificationsTable;
  notification_parked_mentions: NotificationParkedMentionsTable;
}
