import { sql, type Insertable, type Transaction } from 'kysely';
import type { Database } from '@chat/shared/db/schema';
import { searchForm } from '@chat/shared/kernel/text';
import { messageIdOf, tombstone, type MessageView, type TimelineEvent } from '@chat/shared/events/timeline-events';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import { TIMELINE_EVENT_VERSION } from '@chat/shared/events/timeline-events';
import type { RoomState } from './domain/room.state';
import { ms } from './room.repository';

export function envelopeOf(event: TimelineEvent, eventId: string): EventEnvelope<TimelineEvent> {
  return { id: eventId, type: event.type, version: TIMELINE_EVENT_VERSION, key: event.roomId, occurredAt: event.occurredAt, payload: event };
}

/** Rewrites every stored event about a deleted message to its tombstone, so replays never show the body again. */
async function scrubMessage(trx: Transaction<Database>, roomId: string, messageId: string): Promise<void> {
  const rows = await trx.selectFrom('room_events').select(['seq', 'payload']).where('room_id', '=', roomId).where('message_id', '=', messageId).execute();
  for (const row of rows) {
    const event = JSON.parse(row.payload) as TimelineEvent;
    if (event.type !== 'message.posted' && event.type !== 'message.edited') continue;
    const scrubbed = { ...event, message: tombstone(event.message) };
    await trx.updateTable('room_events').set({ payload: JSON.stringify(scrubbed) }).where('room_id', '=', roomId).where('seq', '=', row.seq).execute();
  }
}

/** One room's part of a commit: its new numbered events and its state once they applied. */
export interface RoomAppend {
  readonly events: readonly TimelineEvent[];
  readonly after: RoomState;
}

/** Rows per multi-row INSERT: far below max_allowed_packet and SQLite's variable limit with 64 KiB bodies. */
const ROWS_PER_INSERT = 200;

async function insertChunked<T extends 'room_events' | 'messages'>(trx: Transaction<Database>, table: T, rows: Insertable<Database[T]>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await trx.insertInto(table).values(rows.slice(i, i + ROWS_PER_INSERT) as never).execute();
}

/**
 * Stores the numbered events of one or many rooms, their projections and ONE
 * outbox row, in the caller's transaction, with a handful of statements
 * whatever the number of rooms: the log rows of every room in one INSERT, new
 * messages in one INSERT, every room head in one UPDATE. Other projections
 * (members, edits, deletes) are applied room by room. Returns the envelopes,
 * room by room in the order given, and the outbox row's id (from the INSERT's
 * answer: no `SELECT LAST_INSERT_ID()` round trip).
 */
export async function appendTimeline(
  trx: Transaction<Database>,
  rooms: readonly RoomAppend[],
  newId: () => string,
): Promise<{ envelopes: EventEnvelope<TimelineEvent>[]; outboxId: number | undefined }> {
  const changed = rooms.filter((r) => r.events.length > 0);
  if (changed.length === 0) return { envelopes: [], outboxId: undefined };
  const envelopes = changed.flatMap((r) => r.events.map((e) => envelopeOf(e, newId())));
  const rows: Insertable<Database['room_events']>[] = envelopes.map((env) => ({
    room_id: env.payload.roomId,
    seq: env.payload.seq,
    event_id: env.id,
    type: env.type,
    message_id: messageIdOf(env.payload),
    occurred_at: ms(env.occurredAt),
    payload: JSON.stringify(env.payload),
  }));
  // The log first: a delete later in this batch scrubs rows of this batch too.
  await insertChunked(trx, 'room_events', rows);
  const posted: Insertable<Database['messages']>[] = [];
  for (const room of changed) {
    if (room.events.every((e) => e.type === 'message.posted')) {
      for (const e of room.events) if (e.type === 'message.posted') posted.push(messageRow(e.message));
    } else {
      await projectTimeline(trx, room.events, room.after.directKey);
    }
  }
  await insertChunked(trx, 'messages', posted);
  await updateRoomHeads(trx, changed);
  const outbox = await trx.insertInto('outbox').values({ event: JSON.stringify(envelopes), created_at: Date.now() }).executeTakeFirst();
  return { envelopes, outboxId: Number(outbox.insertId) };
}

/** Every changed room's head (last seq, last event time, member count) in one UPDATE … CASE. */
async function updateRoomHeads(trx: Transaction<Database>, rooms: readonly RoomAppend[]): Promise<void> {
  const heads = rooms.map((r) => {
    const last = r.events[r.events.length - 1]!;
    return { id: last.roomId, seq: last.seq, at: ms(last.occurredAt), members: r.after.members.size };
  });
  const caseOf = (value: (h: (typeof heads)[number]) => number) => sql<number>`CASE id ${sql.join(heads.map((h) => sql`WHEN ${h.id} THEN ${value(h)}`), sql` `)} END`;
  await trx
    .updateTable('rooms')
    .set({ last_seq: caseOf((h) => h.seq), last_event_at: caseOf((h) => h.at), member_count: caseOf((h) => h.members) })
    .where('id', 'in', heads.map((h) => h.id))
    .execute();
}

function messageRow(m: MessageView): Insertable<Database['messages']> {
  return { id: m.id, room_id: m.roomId, seq: m.seq, sender_id: m.senderId, client_msg_id: m.clientMsgId, body: m.body, body_search: searchForm(m.body), created_at: ms(m.createdAt), edited_at: null, deleted: 0 };
}

/**
 * Applies timeline events to the projections (rooms, members, messages) in
 * the caller's transaction. The writer calls it for new events; the replay
 * script calls it to rebuild the projections from the log.
 */
export async function projectTimeline(trx: Transaction<Database>, events: readonly TimelineEvent[], directKey: string | null): Promise<void> {
  // New messages are inserted in one statement; an edit or delete of one of them (in a replay) flushes first.
  let posted: Insertable<Database['messages']>[] = [];
  const flushPosted = async () => {
    if (posted.length > 0) await trx.insertInto('messages').values(posted).execute();
    posted = [];
  };
  for (const event of events) {
    switch (event.type) {
      case 'room.created':
        await trx.insertInto('rooms').values({
          id: event.roomId,
          type: event.room.type,
          name: event.room.name,
          created_by: event.room.createdBy,
          created_at: ms(event.room.createdAt),
          last_seq: 0,
          last_event_at: ms(event.occurredAt),
          member_count: 0,
          direct_key: directKey,
          deleted_at: null,
        }).execute();
        break;
      case 'room.updated':
        await trx.updateTable('rooms').set({ name: event.room.name }).where('id', '=', event.roomId).execute();
        break;
      case 'room.deleted':
        await trx.updateTable('rooms').set({ deleted_at: ms(event.occurredAt) }).where('id', '=', event.roomId).execute();
        break;
      case 'member.joined':
        await trx.insertInto('members').values({ room_id: event.roomId, user_id: event.member.userId, role: event.member.role, joined_at: ms(event.member.joinedAt), last_read_seq: event.seq }).execute();
        break;
      case 'member.updated':
        await trx.updateTable('members').set({ role: event.member.role }).where('room_id', '=', event.roomId).where('user_id', '=', event.member.userId).execute();
        break;
      case 'member.left':
        await trx.deleteFrom('members').where('room_id', '=', event.roomId).where('user_id', '=', event.userId).execute();
        break;
      case 'message.posted': {
        posted.push(messageRow(event.message));
        break;
      }
      case 'message.edited':
        await flushPosted();
        await trx.updateTable('messages').set({ body: event.message.body, body_search: searchForm(event.message.body), edited_at: ms(event.message.editedAt!) }).where('room_id', '=', event.message.roomId).where('id', '=', event.message.id).execute();
        break;
      case 'message.deleted':
        await flushPosted();
        await trx.updateTable('messages').set({ body: '', body_search: '', deleted: 1 }).where('room_id', '=', event.roomId).where('id', '=', event.messageId).execute();
        await scrubMessage(trx, event.roomId, event.messageId);
        break;
      default: {
        const never: never = event;
        throw new Error(`unhandled event ${(never as TimelineEvent).type}`);
      }
    }
  }
  await flushPosted();
}
