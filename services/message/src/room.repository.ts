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

/** Locks the room row for this transaction (MySQL); SQLite transactions are already exclusive. */
export async function lockRoomHead(trx: Transaction<Database>, roomId: string, dialect: 'mysql' | 'sqlite'): Promise<number | undefined> {
  let q = trx.selectFrom('rooms').select('last_seq').where('id', '=', roomId);
  if (dialect === 'mysql') q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? Number(row.last_seq) : undefined;
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

/**
 * Earlier messages for repeated (sender, clientMsgId) pairs, keyed
 * "senderId\u0000clientMsgId". Every condition names the sender, so the
 * lookup is a few probes of the (room_id, sender_id, client_msg_id) key
 * however long the room's history is.
 */
export async function findByClientMsgIds(db: Executor, roomId: string, keys: readonly { senderId: string; clientMsgId: string }[]): Promise<Map<string, MessageView>> {
  const found = new Map<string, MessageView>();
  if (keys.length === 0) return found;
  const bySender = new Map<string, Set<string>>();
  for (const k of keys) {
    let ids = bySender.get(k.senderId);
    if (!ids) bySender.set(k.senderId, (ids = new Set()));
    ids.add(k.clientMsgId);
  }
  const rows = await db
    .selectFrom('messages')
    .selectAll()
    .where('room_id', '=', roomId)
    .where((eb) => eb.or([...bySender].map(([senderId, ids]) => eb.and([eb('sender_id', '=', senderId), eb('client_msg_id', 'in', [...ids])]))))
    .execute();
  for (const row of rows) found.set(`${row.sender_id}\u0000${row.client_msg_id}`, messageView(row));
  return found;
}
