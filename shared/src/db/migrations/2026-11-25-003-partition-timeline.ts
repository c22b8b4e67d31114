import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time. MySQL/MariaDB: the two tables that grow with every message
 * (`room_events`, `messages`) are hash-partitioned by room (PARTITION BY KEY),
 * so a room's history, its seq check and its idempotency lookup touch one
 * partition, and old or hot data can be managed partition by partition.
 *
 * MySQL requires every unique key to contain the partitioning column, so:
 * - messages: primary key (id) becomes (room_id, id), plus a plain index on id;
 * - room_events: UNIQUE(event_id) becomes UNIQUE(room_id, event_id) (event ids
 *   are UUIDv7 minted by the writer; the room-scoped key still refuses a
 *   repeated event in its room, which is where a repeat could come from).
 * SQLite has no partitioning; the embedded mode keeps its tables as they are.
 * See docs/adr/0008-partitioned-timeline.md.
 */
export const TIMELINE_PARTITIONS = 16;

export async function up(db: Kysely<any>, dialect: 'mysql' | 'sqlite'): Promise<void> {
  if (dialect !== 'mysql') return;
  await sql`ALTER TABLE messages DROP PRIMARY KEY, ADD PRIMARY KEY (room_id, id), ADD INDEX messages_id (id)`.execute(db);
  await sql`ALTER TABLE messages PARTITION BY KEY (room_id) PARTITIONS ${sql.raw(String(TIMELINE_PARTITIONS))}`.execute(db);
  await sql`ALTER TABLE room_events DROP INDEX event_id, ADD UNIQUE KEY room_events_event (room_id, event_id)`.execute(db);
  await sql`ALTER TABLE room_events PARTITION BY KEY (room_id) PARTITIONS ${sql.raw(String(TIMELINE_PARTITIONS))}`.execute(db);
}
