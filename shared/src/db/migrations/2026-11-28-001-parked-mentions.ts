import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time. Mentions of a username the notification service does not
 * know yet: its directory is filled from `user.registered` on the user topic,
 * and a message on the room topic can be handled first (no order between
 * topics). Parked here, they are signalled when the registration arrives.
 */
export async function up(db: Kysely<any>, dialect: 'mysql' | 'sqlite'): Promise<void> {
  let tableEnd = sql``;
  if (dialect === 'mysql') {
    // Byte-for-byte comparison without padding, as every table since 2026-11-27-001.
    const { rows } = await sql<{ version: string }>`SELECT VERSION() AS version`.execute(db);
    const collation = sql.raw(/mariadb/i.test(rows[0]?.version ?? '') ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin');
    tableEnd = sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`;
  }
  await db.schema
    .createTable('notification_parked_mentions')
    .addColumn('username', 'varchar(32)', (c) => c.notNull())
    .addColumn('message_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('room_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('parked_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_parked_mentions_pk', ['username', 'message_id'])
    .modifyEnd(tableEnd)
    .execute();
  await db.schema.createIndex('notification_parked_mentions_age').on('notification_parked_mentions').columns(['parked_at']).execute();
}
