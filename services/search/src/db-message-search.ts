import { sql } from 'kysely';
import type { Db } from '@chat/shared/db/database';
import type { MessageView } from '@chat/shared/events/timeline-events';
import { searchForm } from '@chat/shared/kernel/text';

export interface SearchQuery {
  userId: string;
  q: string;
  roomId?: string | undefined;
  limit: number;
}

/** `!` escapes LIKE wildcards the same way on MySQL and SQLite (a backslash does not). */
export function likePattern(q: string): string {
  return `%${searchForm(q).replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * Phase 1 search (docs/adr/0002): a substring match on the NFC, lower-cased
 * body kept beside each message, limited to rooms the user is in now. It finds
 * a word inside a longer word in every script, Korean included, on both engines.
 */
export async function searchMessages(db: Db, query: SearchQuery): Promise<MessageView[]> {
  let q = db.kysely
    .selectFrom('messages')
    .innerJoin('members', (j) => j.onRef('members.room_id', '=', 'messages.room_id').on('members.user_id', '=', query.userId))
    .innerJoin('rooms', 'rooms.id', 'messages.room_id')
    .selectAll('messages')
    .where('rooms.deleted_at', 'is', null)
    .where('messages.deleted', '=', 0)
    .where(sql<boolean>`messages.body_search LIKE ${likePattern(query.q)} ESCAPE '!'`)
    .orderBy('messages.created_at', 'desc')
    .orderBy('messages.seq', 'desc')
    .limit(query.limit);
  if (query.roomId) q = q.where('messages.room_id', '=', query.roomId);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    roomId: r.room_id,
    seq: Number(r.seq),
    senderId: r.sender_id,
    clientMsgId: r.client_msg_id,
    body: r.body,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    editedAt: r.edited_at === null ? null : new Date(Number(r.edited_at)).toISOString(),
    deleted: false,
  }));
}
