import type { Kysely, Transaction } from 'kysely';
import type { Database } from '@chat/shared/db/schema';

type Executor = Kysely<Database> | Transaction<Database>;

export async function insertRefreshToken(db: Executor, row: Database['refresh_tokens']): Promise<void> {
  await db.insertInto('refresh_tokens').values(row).execute();
}

/**
 * The token by its hash. Revocation belongs to the login (family): if any
 * token of the family is revoked, this one reads as revoked too. That covers a
 * token issued by a refresh that raced the request which detected reuse and
 * revoked the family just before the winner stored its new token.
 */
export async function findRefreshToken(db: Executor, hash: string): Promise<Database['refresh_tokens'] | undefined> {
  const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  if (!row || row.revoked_at !== null) return row;
  const revoked = await db.selectFrom('refresh_tokens').select('revoked_at').where('family_id', '=', row.family_id).where('revoked_at', 'is not', null).limit(1).executeTakeFirst();
  return revoked ? { ...row, revoked_at: revoked.revoked_at } : row;
}

/** Marks a token used, only if it still is unused: false means another request used it first. */
export async function markUsed(db: Executor, id: string, now: number): Promise<boolean> {
  const r = await db.updateTable('refresh_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function revokeFamily(db: Executor, familyId: string, now: number): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
}

/** True when a token of the family issued at or after `since` has been used: the login has moved on since then. */
export async function familyUsedSince(db: Executor, familyId: string, since: number): Promise<boolean> {
  const row = await db.selectFrom('refresh_tokens').select('id').where('family_id', '=', familyId).where('created_at', '>=', since).where('used_at', 'is not', null).limit(1).executeTakeFirst();
  return row !== undefined;
}
