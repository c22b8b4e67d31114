import type { Kysely, Transaction } from 'kysely';
import type { Database } from '@chat/shared/db/schema';
import type { UserView } from '@chat/shared/events/timeline-events';

type Executor = Kysely<Database> | Transaction<Database>;
type UserRow = Database['users'];

export function userView(row: Pick<UserRow, 'id' | 'username' | 'display_name' | 'created_at'>): UserView {
  return { id: row.id, username: row.username, displayName: row.display_name, createdAt: new Date(Number(row.created_at)).toISOString() };
}

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByName(db: Executor, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
}

/** The ids among `ids` that name no user. */
export async function unknownUserIds(db: Executor, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('users').select('id').where('id', 'in', ids).execute();
  const known = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !known.has(id));
}
