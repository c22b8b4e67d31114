import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time. MySQL/MariaDB: every string column compares byte for byte.
 * `utf8mb4_bin` is a PAD SPACE collation: 'm1' = 'm1 ', so the idempotency
 * lookup matched "m1" for a clientMsgId "m1 " and the unique key refused the
 * new message; a username or an id with trailing spaces found the row too.
 * SQLite's BINARY collation never pads. The NO PAD binary collations are
 * `utf8mb4_nopad_bin` (MariaDB 10.2+) and `utf8mb4_0900_bin` (MySQL 8).
 * Nothing can collide on the way: NO PAD tells apart more strings than PAD
 * SPACE did. Each ALTER rebuilds its table (a maintenance window on big ones).
 */
const TABLES = ['users', 'refresh_tokens', 'rooms', 'members', 'room_events', 'messages', 'outbox', 'notification_usernames', 'notifications'];

export async function up(db: Kysely<any>, dialect: 'mysql' | 'sqlite'): Promise<void> {
  if (dialect !== 'mysql') return;
  const { rows } = await sql<{ version: string }>`SELECT VERSION() AS version`.execute(db);
  const collation = sql.raw(/mariadb/i.test(rows[0]?.version ?? '') ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin');
  for (const table of TABLES) await sql`ALTER TABLE ${sql.table(table)} CONVERT TO CHARACTER SET utf8mb4 COLLATE ${collation}`.execute(db);
  // Tables created later inherit it; a user without the right to alter the database keeps the old default.
  await sql`ALTER DATABASE CHARACTER SET utf8mb4 COLLATE ${collation}`.execute(db).catch(() => undefined);
}
