import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, MysqlDialect, type Migration } from 'kysely';
import { createPool } from 'mysql2';
import { createPool as createPromisePool } from 'mysql2/promise';
import * as initial from './migrations/2026-11-25-001-initial';
import * as notifications from './migrations/2026-11-25-002-notifications';
import * as partitionTimeline from './migrations/2026-11-25-003-partition-timeline';
import * as nopadCollation from './migrations/2026-11-27-001-nopad-collation';
import * as parkedMentions from './migrations/2026-11-28-001-parked-mentions';
import type { Database } from './schema';
import { SqliteThread, WorkerSqliteDialect, type SqliteSynchronous } from './worker-sqlite-dialect';

export type Dialect = 'mysql' | 'sqlite';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** Pool gauges for metrics: connections in use and requests waiting. */
  poolStats(): { inUse: number; idle: number; waiting: number };
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, { up: (db: Kysely<any>, dialect: Dialect) => Promise<void> }> = {
  '2026-11-25-001-initial': initial,
  '2026-11-25-002-notifications': notifications,
  '2026-11-25-003-partition-timeline': partitionTimeline,
  '2026-11-27-001-nopad-collation': nopadCollation,
  '2026-11-28-001-parked-mentions': parkedMentions,
};

async function ensureMysqlDatabase(url: URL): Promise<void> {
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`DATABASE_URL names a bad database "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/';
  const pool = createPromisePool({ uri: admin.toString(), connectionLimit: 1 });
  try {
    await pool.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } catch {
    // A user without CREATE rights on an existing database (compose's MYSQL_USER) is fine;
    // if the database is really missing, the first query says so.
  } finally {
    await pool.end();
  }
}

function openMysql(databaseUrl: string, poolSize: number): Db {
  const pool = createPool({ uri: databaseUrl, connectionLimit: poolSize, charset: 'utf8mb4_bin', supportBigNumbers: true, timezone: 'Z' });
  const raw = pool as unknown as { _allConnections: { length: number }; _freeConnections: { length: number }; _connectionQueue: { length: number } };
  return {
    kysely: new Kysely<Database>({ dialect: new MysqlDialect({ pool }) }),
    dialect: 'mysql',
    poolStats: () => {
      const all = raw._allConnections?.length ?? 0;
      const idle = raw._freeConnections?.length ?? 0;
      return { inUse: all - idle, idle, waiting: raw._connectionQueue?.length ?? 0 };
    },
    close: async function () {
      await this.kysely.destroy();
    },
  };
}

/**
 * The database holds password hashes and refresh-token hashes: its files are
 * the owner's alone. A new data directory is 0700; the database file is
 * created 0600 (SQLite gives its -wal and -shm files the same mode), and an
 * older one that others could read is narrowed to 0600.
 */
function ownerOnly(file: string): void {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
  }
}

function openSqlite(file: string, synchronous: SqliteSynchronous): Db {
  if (file !== ':memory:') ownerOnly(file);
  // Every statement runs on the store's own thread: the event loop never waits on SQLite or on a commit's fsync.
  const thread = new SqliteThread({ file, synchronous });
  return {
    kysely: new Kysely<Database>({ dialect: new WorkerSqliteDialect(thread) }),
    dialect: 'sqlite',
    poolStats: () => ({ inUse: thread.pending > 0 ? 1 : 0, idle: thread.pending > 0 ? 0 : 1, waiting: Math.max(0, thread.pending - 1) }),
    close: async function () {
      await this.kysely.destroy();
    },
  };
}

/** Opens the database named by DATABASE_URL (mysql://… or sqlite:<path>) and brings its schema up to date. */
export async function openDatabase(databaseUrl: string, options: { poolSize?: number; sqliteSynchronous?: SqliteSynchronous } = {}): Promise<Db> {
  let db: Db;
  if (databaseUrl.startsWith('sqlite:')) {
    db = openSqlite(databaseUrl.slice('sqlite:'.length), options.sqliteSynchronous ?? 'FULL');
  } else {
    await ensureMysqlDatabase(new URL(databaseUrl));
    db = openMysql(databaseUrl, options.poolSize ?? 10);
  }
  await migrate(db);
  return db;
}

export async function migrate(db: Db): Promise<void> {
  const migrations: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(MIGRATIONS)) migrations[name] = { up: (k) => m.up(k, db.dialect) };
  const migrator = new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** True when the error is a unique-key violation on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
