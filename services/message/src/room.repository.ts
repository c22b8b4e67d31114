import type { Kysely, Transaction } from 'kysely';
import type { Database } from '@chat/shared/db/schema';
import type { MessageView } from '@chat/shared/events/timeline-events';
import type { RoomState } from './domain/room.state';

type Executor = Kysely<Database> | Transaction<Database>;

export const iso = (ms: number): string => new Date(ms).toISOString();
export const ms = (iso: string): number => Date.parse(iso);

export async function loadRoomState(db: Executor, roomId: string): Promise<RoomState | undefined> {
  const room = await db.selectFrom('rooms').selectAll().where('id', '=', roomId).executeTakeFirst();
  if (!room) return undefined;
  const members = await db.selectFrom('members').select(['user_id', 'role', 'joined_at']).where('room_id', '=', roomId).execute();
  return {
    id: room.id,
    type: room.type,
    name: room.name,
    createdBy: room.created_by,
    createdAt: iso(Number(room.created_at)),
    lastSeq: Number(room.last_seq),
    lastEventAt: iso(Number(room.last_event_at)),
    directKey: room.direct_key,
    deleted: room.deleted_at !== null,
    members: new Map(members.map((m) => [m.user_id, { role: m.role, joinedAt: iso(Number(m.joined_at)) }])),
  };
}

/**
 * Locks the rows of several rooms (MySQL, in id order, the order every writer
 * locks in) and returns their heads; rooms that do not exist are absent.
 */
export async function lockRoomHeads(trx: Transaction<Database>, roomIds: readonly string[], dialect: 'mysql' | 'sqlite'): Promise<Map<string, number>> {
  const heads = new Map<string, number>();
  if (roomIds.length === 0) return heads;
  let q = trx.selectFrom('rooms').select(['id', 'last_seq']).where('id', 'in', [...roomIds]).orderBy('id');
  if (dialect === 'mysql') q = q.forUpdate();
  for (const row of await q.execute()) heads.set(row.id, Number(row.last_seq));
  return heads;
}

/** Locks one room's row for this transaction (MySQL); SQLite transactions are already exclusive. */
export async function lockRoomHead(trx: Transaction<Database>, roomId: string, dialect: 'mysql' | 'sqlite'): Promise<number | undefined> {
  return (await lockRoomHeads(trx, [roomId], dialect)).get(roomId);
}

export async function findDirectRoomId(db: Executor, directKey: string): Promise<string | undefined> {
  const row = await db.selectFrom('rooms').select('id').where('direct_key', '=', directKey).executeTakeFirst();
  return row?.id;
}

type MessageRow = Database['messages'];
export function messageView(row: { [K in keyof MessageRow]: MessageRow[K] }): MessageView {
  return {
    id: row.id,
    roomId: row.room_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    clientMsgId: row.client_msg_id,
    body: row.body,
    createdAt: iso(Number(row.created_at)),
    editedAt: row.edited_at === null ? null : iso(Number(row.edited_at)),
    deleted: Number(row.deleted) === 1,
  };
}

export async function findMessage(db: Executor, roomId: string, messageId: string): Promise<MessageView | undefined> {
  const row = await db.selectFrom('messages').selectAll().where('id', '=', messageId).where('room_id', '=', roomId).executeTakeFirst();
  return row ? messageView(row) : undefined;
}

/** A repeated post is found by its idempotency key: room, sender, clientMsgId. */
export interface PostKey {
  readonly roomId: string;
  readonly senderId: string;
  readonly clientMsgId: string;
}

export const postKeyOf = (senderId: string, clientMsgId: string): string => `${senderId}\u0000${clientMsgId}`;

/**
 * Earlier messages for repeated posts of one or many rooms, in one query: per
 * room, keyed by postKeyOf(sender, clientMsgId). Every condition names room and
 * sender, so it is a few probes of the (room_id, sender_id, client_msg_id) key
 * however long the rooms' histories are.
 */
export async function findEarlierPosts(db: Executor, keys: readonly PostKey[]): Promise<Map<string, Map<string, MessageView>>> {
  const found = new Map<string, Map<string, MessageView>>();
  if (keys.length === 0) return found;
  for (const row of await earlierPostsQuery(db, keys).execute()) {
    let room = found.get(row.room_id);
    if (!room) found.set(row.room_id, (room = new Map()));
    room.set(postKeyOf(row.sender_id, row.client_msg_id), messageView(row));
  }
  return found;
}

/** The query of findEarlierPosts (exported so its plan can be checked). */
export function earlierPostsQuery(db: Executor, keys: readonly PostKey[]) {
  const tree = new Map<string, Map<string, Set<string>>>();
  for (const k of keys) {
    let senders = tree.get(k.roomId);
    if (!senders) tree.set(k.roomId, (senders = new Map()));
    let ids = senders.get(k.senderId);
    if (!ids) senders.set(k.senderId, (ids = new Set()));
    ids.add(k.clientMsgId);
  }
  return db
    .selectFrom('messages')
    .selectAll()
    .where((eb) =>
      eb.or([...tree].map(([roomId, senders]) =>
        eb.and([eb('room_id', '=', roomId), eb.or([...senders].map(([senderId, ids]) => eb.and([eb('sender_id', '=', senderId), eb('client_msg_id', 'in', [...ids])])))]),
      )),
    );
}
