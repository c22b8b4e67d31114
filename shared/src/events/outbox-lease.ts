import { createConnection, type Connection } from 'mysql2/promise';

/**
 * Which of the relays over one outbox table publishes now. Several relays
 * over one table stay correct (rows go out in id order, a repeat is dropped
 * by seq), but each would publish almost every row: with several message
 * instances, one relay at a time keeps the broker's work at one copy.
 */
export interface OutboxLease {
  /** True while this process may publish. */
  readonly held: boolean;
  /** Called when `held` changes. */
  onChange(listener: (held: boolean) => void): void;
  start(): void;
  stop(): Promise<void>;
}

/** One process owns its table (SQLite, or a single instance): always held. */
export class SoleOutboxLease implements OutboxLease {
  readonly held = true;
  onChange(): void {}
  start(): void {}
  async stop(): Promise<void> {}
}

export interface MysqlOutboxLeaseOptions {
  /** How often the holder checks its connection, and others try to take the lease (ms). */
  readonly checkMs?: number;
  readonly log?: { warn(obj: object, msg: string): void };
}

/**
 * The lease is a MySQL named lock (GET_LOCK) held by a connection of its own.
 * The server frees it the moment that connection ends, so when the holder
 * dies (kill -9 closes its sockets) another instance takes over at its next
 * try, within `checkMs`. The holder pings its connection every `checkMs`; if
 * the ping fails it stops publishing at once. For at most that interval two
 * relays may both publish: repeats, never disorder.
 */
export class MysqlOutboxLease implements OutboxLease {
  private connection: Connection | undefined;
  private current = false;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;
  private readonly listeners: Array<(held: boolean) => void> = [];
  private readonly checkMs: number;
  private readonly name: string;

  constructor(
    private readonly databaseUrl: string,
    private readonly o: MysqlOutboxLeaseOptions = {},
  ) {
    this.checkMs = o.checkMs ?? 1000;
    // Named locks are server-wide: the database name keeps tables of different databases apart.
    this.name = `outbox-relay:${decodeURIComponent(new URL(databaseUrl).pathname.slice(1))}`.slice(0, 64);
  }

  get held(): boolean {
    return this.current;
  }

  onChange(listener: (held: boolean) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.check(), this.checkMs);
    this.timer.unref();
    void this.check();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.checking;
    this.set(false);
    const c = this.connection;
    this.connection = undefined;
    // Ending the connection frees the lock (RELEASE_LOCK first, in case the end is slow).
    await c?.query('SELECT RELEASE_LOCK(?)', [this.name]).catch(() => undefined);
    await c?.end().catch(() => c.destroy());
  }

  private check(): Promise<void> {
    this.checking ??= this.attempt().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async attempt(): Promise<void> {
    try {
      this.connection ??= await this.connect();
      if (this.stopped) return;
      if (this.current) await this.connection.query('SELECT 1');
      else {
        const [rows] = await this.connection.query('SELECT GET_LOCK(?, 0) AS got', [this.name]);
        this.set((rows as { got: number | null }[])[0]?.got === 1);
      }
    } catch (err) {
      if (this.current) this.o.log?.warn({ err: String(err) }, 'outbox lease lost with its connection; another relay takes over');
      this.set(false);
      const c = this.connection;
      this.connection = undefined;
      c?.destroy();
    }
  }

  private async connect(): Promise<Connection> {
    const c = await createConnection({ uri: this.databaseUrl, connectTimeout: Math.max(1000, this.checkMs * 2) });
    // A connection that ends on its own loses the lock with it.
    c.on('error', () => {
      if (this.connection !== c) return;
      this.connection = undefined;
      this.set(false);
    });
    return c;
  }

  private set(held: boolean): void {
    if (held === this.current) return;
    this.current = held;
    for (const l of this.listeners) l(held);
  }
}

/** The lease for a database: a named lock on MySQL, always held on SQLite (one process per file). */
export function outboxLeaseFor(databaseUrl: string, log?: MysqlOutboxLeaseOptions['log']): OutboxLease {
  return databaseUrl.startsWith('mysql://') ? new MysqlOutboxLease(databaseUrl, { log }) : new SoleOutboxLease();
}
