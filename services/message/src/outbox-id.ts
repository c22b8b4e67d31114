import { sql, type Transaction } from 'kysely';
import type { Database } from '@chat/shared/db/schema';

/** The id of the outbox row this transaction just inserted. */
export async function outboxIdOf(trx: Transaction<Database>, dialect: 'mysql' | 'sqlite'): Promise<number> {
  const q = dialect === 'mysql' ? sql<{ id: number }>`SELECT LAST_INSERT_ID() AS id` : sql<{ id: number }>`SELECT last_insert_rowid() AS id`;
  const { rows } = await q.execute(trx);
  return Number(rows[0]!.id);
}
