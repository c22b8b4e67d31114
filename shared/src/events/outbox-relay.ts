import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { EventBus } from './event-bus';
import type { EventEnvelope } from './event-envelope';
import { SoleOutboxLease, type OutboxLease } from './outbox-lease';

interface Logger {
  warn(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  /** How often the table is polled for rows nobody handed over, and published rows are deleted (ms). */
  readonly flushMs?: number;
  /** Most events held in memory between their commit and their publish; past it they are read back from the table. */
  readonly maxPendingEnvelopes?: number;
  /** Most events one publish carries (a row bigger than that goes alone). */
  readonly maxPublishEnvelopes?: number;
  /** First delay after a failed step; doubles per failure up to retryMaxMs. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /**
   * Which relay over the table publishes now (several message instances
   * share one table). Default: this one, always.
   */
  readonly lease?: OutboxLease;
}

export interface OutboxRelayStats {
  heldEnvelopes: number;
  peakHeldEnvelopes: number;
  /** Rows whose events were read back from the table (not handed over, or handed over past the bound). */
  rowsReadFromTable: number;
  rowsPublished: number;
  failedAttempts: number;
}

/** Rows per read of the table's head. */
const PAGE_ROWS = 100;
/** Rows per read of events that are not held in memory. */
const READ_CHUNK = 20;
/** Published rows deleted at once at the latest (else every flushMs). */
const DELETE_AT = 500;

interface Row {
  readonly id: number;
  readonly envelopes: EventEnvelope[];
}

/**
 * Moves committed outbox rows onto the bus (DESIGN invariant 4, ADR 0001).
 * The table is the queue: one loop publishes the oldest rows (lowest ids
 * first) and deletes them once the bus accepted them. A refused publish is
 * retried in place, with backoff, and nothing behind it goes out first. Per
 * room, id order is commit order (a room's next transaction takes its row
 * lock, so its outbox insert, after the previous commit), so every room
 * reaches the bus in seq order, whoever wrote and whoever relays; several
 * relays over one table may publish a row twice, never out of order.
 *
 * Writers hand over each row with its events right after the commit; the
 * relay keeps at most `maxPendingEnvelopes` of them so that the healthy path
 * does not read events back. Past the bound (the bus is down) rows are read
 * back from the table when their turn comes. publishCommitted never waits
 * for the bus: acknowledging a write never depends on the broker.
 */
export class OutboxRelay {
  private readonly held = new Map<number, { envelopes: EventEnvelope[]; handover: number }>();
  private heldEnvelopes = 0;
  private handovers = 0;
  /** Rows this relay published and has not deleted yet (left out of its reads). */
  private readonly published = new Set<number>();
  private lastDelete = Date.now();
  private lock: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private wanted = false;
  private stopping = false;
  private failures = 0;
  private interrupt: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly counters = { peakHeldEnvelopes: 0, rowsReadFromTable: 0, rowsPublished: 0, failedAttempts: 0 };
  private readonly o: Required<OutboxRelayOptions>;
  private readonly lease: OutboxLease;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly log: Logger,
    options: OutboxRelayOptions | number = {},
  ) {
    const given = typeof options === 'number' ? { flushMs: options } : options;
    this.lease = given.lease ?? new SoleOutboxLease();
    this.o = { flushMs: 200, maxPendingEnvelopes: 10_000, maxPublishEnvelopes: 1_000, retryBaseMs: 50, retryMaxMs: 5_000, ...given, lease: this.lease };
    // Taking the lease: publish what the table holds (rows other instances wrote included).
    // Losing it: hold nothing more; the holder reads those rows back from the table.
    this.lease.onChange((held) => (held ? this.kick() : this.releaseAll()));
  }

  /** True while this relay is the one that publishes (see OutboxRelayOptions.lease). */
  get publishing(): boolean {
    return this.lease.held;
  }

  get stats(): OutboxRelayStats {
    return { heldEnvelopes: this.heldEnvelopes, ...this.counters };
  }

  /** Publishes every row in the table, oldest first (at start: what a previous process left). Rejects if the bus refuses. */
  recover(): Promise<number> {
    return this.drain();
  }

  start(): void {
    this.stopping = false;
    this.lease.start();
    this.timer = setInterval(() => this.kick(), this.o.flushMs);
    this.timer.unref();
    this.kick();
  }

  /**
   * Called by a writer after its commit with the row it wrote and the row's
   * events. Resolves at once; the relay publishes the row in its turn.
   */
  async publishCommitted(outboxIds: number | number[], envelopes: EventEnvelope[]): Promise<void> {
    const ids = Array.isArray(outboxIds) ? outboxIds : [outboxIds];
    const id = ids[0];
    // Several rows with their events mixed cannot be split per row: those are read back from the table.
    if (this.lease.held && ids.length === 1 && id !== undefined && !this.published.has(id) && !this.held.has(id) && this.heldEnvelopes + envelopes.length <= this.o.maxPendingEnvelopes) {
      this.held.set(id, { envelopes, handover: this.handovers });
      this.heldEnvelopes += envelopes.length;
      this.counters.peakHeldEnvelopes = Math.max(this.counters.peakHeldEnvelopes, this.heldEnvelopes);
    }
    this.handovers++;
    this.kick();
  }

  /** Deletes the rows published so far (the loop does it every flushMs). */
  async flush(): Promise<void> {
    await this.exclusive(() => this.deletePublished(true)).catch((err: unknown) => this.log.warn({ err }, 'outbox cleanup failed; will retry'));
  }

  /**
   * Stops the loop after its current step, then one last pass: publishes what
   * is left if the bus takes it, deletes what was published. Rows left
   * unpublished stay in the table for the next process's recover().
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping = true;
    this.interrupt?.();
    await this.loop;
    await this.drain().catch((err: unknown) => this.log.warn({ err }, 'outbox rows left for the next start'));
    await this.lease.stop();
  }

  private kick(): void {
    this.wanted = true;
    if (this.loop || this.stopping) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (this.wanted && !this.stopping) this.kick();
    });
  }

  private async run(): Promise<void> {
    while (this.wanted && !this.stopping) {
      this.wanted = false;
      try {
        // Look again at once only if the table may hold more: rows written here later are handed over
        // (a kick); rows other instances write are found by the poll every flushMs.
        if ((await this.exclusive(() => this.step())).more) this.wanted = true;
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.counters.failedAttempts++;
        this.log.warn({ err, attempt: this.failures }, 'outbox relay step failed; retrying the oldest rows in place');
        this.wanted = true;
        await this.pause(Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** (this.failures - 1)));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.interrupt = done;
    });
  }

  /** One step at a time, whoever asks (the loop, flush, recover, stop). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private drain(): Promise<number> {
    return this.exclusive(async () => {
      let rows = 0;
      let failure: unknown;
      try {
        for (let n = (await this.step()).published; n > 0; n = (await this.step()).published) rows += n;
      } catch (err) {
        failure = err ?? new Error('outbox step failed');
      }
      await this.deletePublished(true);
      if (failure !== undefined) throw failure;
      return rows;
    });
  }

  /**
   * Publishes the oldest rows in one bus call: how many (0: nothing to do),
   * and whether the table may hold more than that read saw (a full page, or
   * rows left for the next publish). Throws if a read or the bus fails.
   */
  private async step(): Promise<{ published: number; more: boolean }> {
    await this.deletePublished(false);
    if (!this.lease.held) {
      this.releaseAll();
      return { published: 0, more: false };
    }
    const handoversBefore = this.handovers;
    let q = this.db.selectFrom('outbox').select('id').orderBy('id').limit(PAGE_ROWS);
    if (this.published.size > 0) q = q.where('id', 'not in', [...this.published]);
    const ids = (await q.execute()).map((r) => Number(r.id));
    this.forgetPublishedElsewhere(ids, handoversBefore);
    if (ids.length === 0) return { published: 0, more: false };
    const page = await this.pageOf(ids);
    // Every row of the page was deleted meanwhile (another relay published it): look again.
    if (page.length === 0) return this.step();
    await this.bus.publish(page.flatMap((r) => r.envelopes));
    for (const { id } of page) {
      this.release(id);
      this.published.add(id);
    }
    this.counters.rowsPublished += page.length;
    return { published: page.length, more: ids.length === PAGE_ROWS || page.length < ids.length };
  }

  /** The oldest rows' events, in id order, up to maxPublishEnvelopes (at least one row): held ones from memory, the rest from the table. */
  private async pageOf(ids: number[]): Promise<Row[]> {
    const page: Row[] = [];
    let count = 0;
    const full = () => page.length > 0 && count >= this.o.maxPublishEnvelopes;
    for (let i = 0; i < ids.length && !full(); ) {
      const held = this.held.get(ids[i]!);
      if (held) {
        page.push({ id: ids[i++]!, envelopes: held.envelopes });
        count += held.envelopes.length;
        continue;
      }
      const chunk: number[] = [];
      while (i < ids.length && chunk.length < READ_CHUNK && !this.held.has(ids[i]!)) chunk.push(ids[i++]!);
      const rows = await this.db.selectFrom('outbox').select(['id', 'event']).where('id', 'in', chunk).execute();
      const events = new Map(rows.map((r) => [Number(r.id), r.event]));
      for (const id of chunk) {
        const event = events.get(id);
        if (event === undefined || full()) continue;
        const envelopes = JSON.parse(event) as EventEnvelope[];
        page.push({ id, envelopes });
        count += envelopes.length;
        this.counters.rowsReadFromTable++;
      }
    }
    return page;
  }

  /**
   * Drops held rows that another relay (or this one, before their handover)
   * already published: handed over before the read began, so committed and
   * visible to it, yet absent from the table's head.
   */
  private forgetPublishedElsewhere(ids: number[], handoversBefore: number): void {
    if (this.held.size === 0) return;
    const seen = new Set(ids);
    const last = ids.length === PAGE_ROWS ? ids[ids.length - 1]! : Number.POSITIVE_INFINITY;
    for (const [id, h] of this.held) if (h.handover < handoversBefore && id < last && !seen.has(id)) this.release(id);
  }

  private releaseAll(): void {
    this.held.clear();
    this.heldEnvelopes = 0;
  }

  private release(id: number): void {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    this.heldEnvelopes -= held.envelopes.length;
  }

  private async deletePublished(now: boolean): Promise<void> {
    if (this.published.size === 0) return;
    if (!now && this.published.size < DELETE_AT && Date.now() - this.lastDelete < this.o.flushMs) return;
    const ids = [...this.published];
    await this.db.deleteFrom('outbox').where('id', 'in', ids).execute();
    for (const id of ids) this.published.delete(id);
    this.lastDelete = Date.now();
  }
}
