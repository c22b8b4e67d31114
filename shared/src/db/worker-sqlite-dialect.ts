import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/** What an ack promises: FULL survives a power loss (the WAL is fsynced at each commit); NORMAL only a process crash. */
export type SqliteSynchronous = 'FULL' | 'NORMAL';

export interface WorkerSqliteOptions {
  /** Database file (or `:memory:`). */
  readonly file: string;
  readonly synchronous: SqliteSynchronous;
}

interface WorkerResult {
  rows: unknown[];
  changes?: number;
  lastInsertRowid?: number | bigint;
}

interface WorkerReply {
  id: number;
  result?: WorkerResult;
  error?: { message: string; code?: string; name?: string };
}

/** The error of every statement in flight when the SQLite thread stops unasked: 503, and the next statement starts a new thread. */
export class SqliteThreadExitedError extends Error {
  readonly code = 'SQLITE_THREAD_EXITED';
}

/**
 * The thread that owns the SQLite connection (sqlite-worker.cjs). Statements
 * are posted to it and answered in order; the event loop never runs one, nor
 * waits on a COMMIT's fsync. The thread holds the process open only while a
 * statement is in flight. If it dies, what was in flight fails as unavailable
 * and the next statement starts a new one (SQLite rolls back what was not
 * committed when the file is opened again).
 */
export class SqliteThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly inFlight = new Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void }>();

  /** Which life of the thread this is: changes each time one stops, so a transaction can tell it outlived its thread. */
  private lives = 0;

  constructor(private readonly options: WorkerSqliteOptions) {}

  get life(): number {
    return this.lives;
  }

  /** Statements posted and not yet answered. */
  get pending(): number {
    return this.inFlight.size;
  }

  run(sql: string, parameters: readonly unknown[], type?: 'close'): Promise<WorkerResult> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject });
      if (this.inFlight.size === 1) worker.ref();
      worker.postMessage({ id, type, sql, parameters });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await this.run('', [], 'close').catch(() => undefined);
    if (this.worker === worker) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(new URL('./sqlite-worker.cjs', import.meta.url), {
      workerData: { file: this.options.file, synchronous: this.options.synchronous },
      // No TypeScript loader needed in there: the thread starts faster without the parent's flags.
      execArgv: [],
    });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.answer(worker, reply));
    worker.on('error', (err) => this.stopped(worker, err));
    worker.on('exit', (code) => this.stopped(worker, new Error(`the SQLite thread exited with code ${code}`)));
    return worker;
  }

  private answer(worker: Worker, reply: WorkerReply): void {
    const waiter = this.inFlight.get(reply.id);
    if (!waiter) return;
    this.inFlight.delete(reply.id);
    if (this.inFlight.size === 0) worker.unref();
    if (reply.result) return waiter.resolve(reply.result);
    const err = Object.assign(new Error(reply.error?.message ?? 'SQLite error'), { code: reply.error?.code, name: reply.error?.name ?? 'SqliteError' });
    waiter.reject(err);
  }

  private stopped(worker: Worker, cause: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.lives++;
    const waiters = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const w of waiters) w.reject(new SqliteThreadExitedError(cause.message, { cause }));
  }
}

class WorkerSqliteConnection implements DatabaseConnection {
  /** The thread's life when the open transaction began (undefined: none open). */
  transactionLife: number | undefined;

  constructor(private readonly thread: SqliteThread) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // A new thread knows nothing of the transaction: what is left of it must fail, not autocommit there.
    if (this.transactionLife !== undefined && this.transactionLife !== this.thread.life) throw new SqliteThreadExitedError('the SQLite thread stopped during this transaction');
    const { rows, changes, lastInsertRowid } = await this.thread.run(compiled.sql, compiled.parameters);
    return {
      rows: rows as R[],
      numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
      insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
    };
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(compiled);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}

/**
 * kysely's SQLite driver with the connection on its own thread. Like kysely's
 * own, one connection serves one transaction or statement at a time (a mutex),
 * so SQLite's single-writer rule and the writer's group commit are unchanged.
 */
class WorkerSqliteDriver implements Driver {
  private readonly connection: WorkerSqliteConnection;
  private lock: Promise<void> = Promise.resolve();
  private unlock: (() => void) | undefined;

  constructor(private readonly thread: SqliteThread) {
    this.connection = new WorkerSqliteConnection(thread);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise((r) => (release = r));
    await previous;
    this.unlock = release;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.unlock;
    this.unlock = undefined;
    release?.();
  }

  async beginTransaction(): Promise<void> {
    const life = this.thread.life;
    await this.connection.executeQuery(CompiledQuery.raw('begin'));
    this.connection.transactionLife = life;
  }

  async commitTransaction(): Promise<void> {
    await this.end('commit');
  }

  async rollbackTransaction(): Promise<void> {
    await this.end('rollback');
  }

  private async end(statement: 'commit' | 'rollback'): Promise<void> {
    try {
      await this.connection.executeQuery(CompiledQuery.raw(statement));
    } finally {
      this.connection.transactionLife = undefined;
    }
  }

  async destroy(): Promise<void> {
    await this.thread.close();
  }
}

/** SQLite for kysely, every statement run on the store's own thread (SqliteThread). */
export class WorkerSqliteDialect implements Dialect {
  constructor(private readonly thread: SqliteThread) {}

  createDriver(): Driver {
    return new WorkerSqliteDriver(this.thread);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
