import type { Kysely, Transaction } from 'kysely';
import type { Database } from '@chat/shared/db/schema';

type Executor = Kysely<Database> | Transaction<Database>;

export async function insertRefreshToken(db: Executor, row: Database['refresh_tokens']): Promise<void> {
  await db.insertInto('refresh_tokens').values(row).execute();
}

export async function findRefreshToken(db: Executor, hash: string): Promise<Database['refresh_tokens'] | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

/** Marks a token used, only if it still is unused: false means another request used it first. */
export async function markUsed(db: Executor, id: string, now: number): Promise<boolean> {
  const r = await db.updateTable('refresh_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function revokeFamily(db: Executor, familyId: string, now: number): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
}
