import { sql, type Kysely } from 'kysely';

/** Frozen in time: never import app code here. Runs on MySQL 8, MariaDB 10.11 and SQLite. */
export async function up(db: Kysely<any>, dialect: 'mysql' | 'sqlite'): Promise<void> {
  const tableEnd = dialect === 'mysql' ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``;
  const text = dialect === 'mysql' ? sql`mediumtext` : sql`text`;

  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(32)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .modifyEnd(tableEnd)
    .execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('family_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .modifyEnd(tableEnd)
    .execute();
  await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();

  await db.schema
    .createTable('rooms')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(10)', (c) => c.notNull())
    .addColumn('name', 'varchar(512)')
    .addColumn('created_by', 'varchar(36)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_event_at', 'bigint', (c) => c.notNull())
    .addColumn('member_count', 'integer', (c) => c.notNull())
    .addColumn('direct_key', 'varchar(80)', (c) => c.unique())
    .addColumn('deleted_at', 'bigint')
    .modifyEnd(tableEnd)
    .execute();

  await db.schema
    .createTable('members')
    .addColumn('room_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('role', 'varchar(10)', (c) => c.notNull())
    .addColumn('joined_at', 'bigint', (c) => c.notNull())
    .addColumn('last_read_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('members_pk', ['room_id', 'user_id'])
    .modifyEnd(tableEnd)
    .execute();
  await db.schema.createIndex('members_user').on('members').columns(['user_id', 'room_id']).execute();

  await db.schema
    .createTable('room_events')
    .addColumn('room_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('event_id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('type', 'varchar(40)', (c) => c.notNull())
    .addColumn('message_id', 'varchar(36)')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('payload', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('room_events_pk', ['room_id', 'seq'])
    .modifyEnd(tableEnd)
    .execute();
  await db.schema.createIndex('room_events_message').on('room_events').columns(['message_id']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('room_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('sender_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('client_msg_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('body', text, (c) => c.notNull())
    .addColumn('body_search', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('edited_at', 'bigint')
    .addColumn('deleted', 'integer', (c) => c.notNull())
    .addUniqueConstraint('messages_room_seq', ['room_id', 'seq'])
    .addUniqueConstraint('messages_client_msg', ['room_id', 'sender_id', 'client_msg_id'])
    .modifyEnd(tableEnd)
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('event', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .modifyEnd(tableEnd)
    .execute();
}
