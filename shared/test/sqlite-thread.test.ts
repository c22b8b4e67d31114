import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Kysely, sql } from 'kysely';
import { isUniqueViolation, openDatabase } from '../src/db/database';
import { SqliteThread, WorkerSqliteDialect } from '../src/db/worker-sqlite-dialect';
import { isDependencyUnavailable } from '../src/kernel/errors';

/** A statement that keeps SQLite busy for a few hundred ms. */
const SLOW = sql<{ n: number }>`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c`;

t.test('the event loop keeps turning while the embedded store works', async (t) => {
  const db = await openDatabase('sqlite::memory:');
  t.teardown(() => db.close());
  let ticks = 0;
  const timer = setInterval(() => ticks++, 2);
  const started = Date.now();
  const { rows } = await SLOW.execute(db.kysely);
  const took = Date.now() - started;
  clearInterval(timer);
  t.equal(rows[0]!.n, 3_000_000);
  t.ok(ticks >= Math.min(10, took / 20), `${ticks} timer ticks in the ${took} ms the statement took`);
});

t.test('results, insert ids, unique violations and rollbacks come back from the store thread as before', async (t) => {
  const db = await openDatabase('sqlite::memory:');
  t.teardown(() => db.close());
  await sql`CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, v BLOB)`.execute(db.kysely);
  const first = await sql`INSERT INTO t (k, v) VALUES (${'a'}, ${Buffer.from([1, 2, 3])})`.execute(db.kysely);
  const second = await sql`INSERT INTO t (k) VALUES (${'b'})`.execute(db.kysely);
  t.equal(first.insertId, 1n);
  t.equal(second.insertId, 2n);
  t.equal(second.numAffectedRows, 1n);
  const { rows } = await sql<{ k: string; v: Uint8Array | null }>`SELECT k, v FROM t ORDER BY id`.execute(db.kysely);
  t.same(rows.map((r) => r.k), ['a', 'b']);
  t.same([...rows[0]!.v!], [1, 2, 3], 'blobs survive the thread hop');

  const dup = await sql`INSERT INTO t (k) VALUES (${'a'})`.execute(db.kysely).catch((e: unknown) => e);
  t.ok(isUniqueViolation(dup), 'a unique violation is still recognised (its code crosses the thread)');

  await db.kysely
    .transaction()
    .execute(async (trx) => {
      await sql`INSERT INTO t (k) VALUES (${'c'})`.execute(trx);
      throw new Error('changed my mind');
    })
    .catch(() => undefined);
  const { rows: after } = await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db.kysely);
  t.equal(after[0]!.n, 2, 'the failed transaction was rolled back');
});

t.test('statements and transactions take turns on the one connection', async (t) => {
  const db = await openDatabase('sqlite::memory:');
  t.teardown(() => db.close());
  await sql`CREATE TABLE n (v INTEGER)`.execute(db.kysely);
  const order: string[] = [];
  const trx = db.kysely.transaction().execute(async (trx) => {
    await sql`INSERT INTO n VALUES (1)`.execute(trx);
    await new Promise((r) => setTimeout(r, 50));
    await sql`INSERT INTO n VALUES (2)`.execute(trx);
    order.push('transaction');
  });
  await new Promise((r) => setTimeout(r, 10));
  const read = sql<{ n: number }>`SELECT count(*) AS n FROM n`.execute(db.kysely).then((r) => (order.push('read'), r.rows[0]!.n));
  await trx;
  t.equal(await read, 2, 'the read waited for the transaction, as it did with one connection on the event loop');
  t.same(order, ['transaction', 'read']);
});

t.test('a store thread that dies fails what was in flight as unavailable; the next statement opens it again, committed rows kept', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'thread-')), 'chat.db');
  const thread = new SqliteThread({ file, synchronous: 'FULL' });
  const db = new Kysely<any>({ dialect: new WorkerSqliteDialect(thread) });
  t.teardown(() => db.destroy());
  await sql`CREATE TABLE k (v INTEGER)`.execute(db);
  await sql`INSERT INTO k VALUES (1)`.execute(db);
  const slow = SLOW.execute(db).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 20));
  // Nothing public kills the thread, which is the point: reach in.
  await (thread as unknown as { worker: Worker }).worker.terminate();
  const err = await slow;
  t.ok(isDependencyUnavailable(err), `in flight: ${String((err as Error).message)}`);
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM k`.execute(db);
  t.equal(rows[0]!.n, 1, 'a new thread serves the next statement; the committed row is there');
});

t.test('a store thread that dies between two statements of a transaction fails the rest of it: nothing of it is committed', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'thread-')), 'chat.db');
  const thread = new SqliteThread({ file, synchronous: 'FULL' });
  const db = new Kysely<any>({ dialect: new WorkerSqliteDialect(thread) });
  t.teardown(() => db.destroy());
  await sql`CREATE TABLE pair (v INTEGER)`.execute(db);
  const outcome = await db
    .transaction()
    .execute(async (trx) => {
      await sql`INSERT INTO pair VALUES (1)`.execute(trx);
      // Nothing in flight when it dies: only the transaction knows.
      await (thread as unknown as { worker: Worker }).worker.terminate();
      await sql`INSERT INTO pair VALUES (2)`.execute(trx);
    })
    .then(() => 'committed', (e: unknown) => e);
  t.ok(isDependencyUnavailable(outcome), `the transaction fails as unavailable: ${String((outcome as Error).message ?? outcome)}`);
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM pair`.execute(db);
  t.equal(rows[0]!.n, 0, 'neither row: the second statement did not run on the new thread outside the transaction');
});
