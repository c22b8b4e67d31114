import { sql, type Kysely } from 'kysely';

/** Frozen in time. The notification service's own tables: who can be mentioned, and the mentions. */
export async function up(db: Kysely<any>, dialect: 'mysql' | 'sqlite'): Promise<void> {
  const tableEnd = dialect === 'mysql' ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``;
  await db.schema
    .createTable('notification_usernames')
    .addColumn('username', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .modifyEnd(tableEnd)
    .execute();
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('room_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('message_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('notifications_once', ['message_id', 'user_id'])
    .modifyEnd(tableEnd)
    .execute();
  await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'created_at']).execute();
}
