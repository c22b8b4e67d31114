import type { Db } from '@chat/shared/db/database';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { directKeyOf } from './domain/room.state';
import { ms } from './room.repository';
import { projectTimeline } from './timeline.appender';

const PAGE = 500;

export interface StoredEvent {
  eventId: string;
  event: TimelineEvent;
}

/** Every stored timeline event, room by room, in seq order, a page at a time. */
export async function* storedTimeline(db: Db): AsyncGenerator<StoredEvent[]> {
  const rooms = await db.kysely.selectFrom('room_events').select('room_id').distinct().orderBy('room_id').execute();
  for (const { room_id: roomId } of rooms) {
    for (let after = 0; ; ) {
      const rows = await db.kysely.selectFrom('room_events').select(['payload', 'event_id']).where('room_id', '=', roomId).where('seq', '>', after).orderBy('seq').limit(PAGE).execute();
      if (rows.length === 0) break;
      const page = rows.map((r) => ({ eventId: r.event_id, event: JSON.parse(r.payload) as TimelineEvent }));
      yield page;
      after = page.at(-1)!.event.seq;
    }
  }
}

/**
 * Rebuilds the message store (room_events, rooms, members, messages) in an
 * empty `target` database from `source`'s event log alone (DESIGN invariant 5).
 * Read markers are not events; they start at each member's join.
 */
export async function replayTimeline(source: Db, target: Db): Promise<{ rooms: number; events: number }> {
  let rooms = 0;
  let total = 0;
  const directKeys = new Map<string, string | null>();
  const members = new Map<string, Set<string>>();
  for await (const page of storedTimeline(source)) {
    const events = page.map((p) => p.event);
    const roomId = events[0]!.roomId;
    if (!directKeys.has(roomId)) rooms++;
    const set = members.get(roomId) ?? new Set<string>();
    members.set(roomId, set);
    const created = events.find((e) => e.type === 'room.created');
    if (created?.type === 'room.created') {
      const joined = events.filter((e) => e.type === 'member.joined').slice(0, 2).map((e) => (e.type === 'member.joined' ? e.member.userId : ''));
      directKeys.set(roomId, created.room.type === 'direct' && joined.length === 2 ? directKeyOf(joined[0]!, joined[1]!) : null);
    }
    for (const e of events) {
      if (e.type === 'member.joined') set.add(e.member.userId);
      if (e.type === 'member.left') set.delete(e.userId);
    }
    await target.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('room_events').values(page.map(({ eventId, event: e }) => ({
        room_id: e.roomId,
        seq: e.seq,
        event_id: eventId,
        type: e.type,
        message_id: 'message' in e ? e.message.id : e.type === 'message.deleted' ? e.messageId : null,
        occurred_at: ms(e.occurredAt),
        payload: JSON.stringify(e),
      }))).execute();
      await projectTimeline(trx, events, directKeys.get(roomId) ?? null);
      const last = events.at(-1)!;
      await trx.updateTable('rooms').set({ last_seq: last.seq, last_event_at: ms(last.occurredAt), member_count: set.size }).where('id', '=', roomId).execute();
    });
    total += events.length;
  }
  return { rooms, events: total };
}
