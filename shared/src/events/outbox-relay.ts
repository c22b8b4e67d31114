import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { EventBus } from './event-bus';
import type { EventEnvelope } from './event-envelope';

interface Logger {
  warn(obj: object, msg: string): void;
}

/**
 * Moves committed outbox rows onto the bus (DESIGN invariant 4). The writer
 * hands over each row right after its commit; rows left by a crash are
 * published by recover() at start, before traffic. A row is deleted only
 * after the bus accepted it, so delivery is at-least-once.
 */
export class OutboxRelay {
  private published: number[] = [];
  /** Publishes that failed, oldest first, each with the outbox rows behind it. */
  private readonly failed: { ids: number[]; envelopes: EventEnvelope[] }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly flushMs = 200,
  ) {}

  /** Publishes rows a previous process committed but did not publish, oldest first. */
  async recover(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.db.selectFrom('outbox').select(['id', 'event']).orderBy('id').limit(500).execute();
      if (rows.length === 0) return total;
      for (const row of rows) await this.bus.publish(JSON.parse(row.event) as EventEnvelope[]);
      await this.db.deleteFrom('outbox').where('id', 'in', rows.map((r) => Number(r.id))).execute();
      total += rows.length;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /**
   * Called by a writer after its commit, in commit order, with the rows it
   * wrote and their events (several rows at once for a group commit).
   * Resolves when the bus accepted the events.
   */
  async publishCommitted(outboxIds: number | number[], envelopes: EventEnvelope[]): Promise<void> {
    const ids = Array.isArray(outboxIds) ? outboxIds : [outboxIds];
    try {
      await this.bus.publish(envelopes);
      this.published.push(...ids);
    } catch (err) {
      this.log.warn({ err, outboxIds: ids }, 'publish failed; will retry');
      this.failed.push({ ids, envelopes });
    }
  }

  /** Deletes published rows in bulk and retries failed publishes. */
  flush(): Promise<void> {
    this.chain = this.chain.then(async () => {
      while (this.failed.length > 0) {
        const { ids, envelopes } = this.failed[0]!;
        try {
          await this.bus.publish(envelopes);
        } catch {
          break;
        }
        this.failed.shift();
        this.published.push(...ids);
      }
      const ids = this.published;
      if (ids.length === 0) return;
      this.published = [];
      try {
        await this.db.deleteFrom('outbox').where('id', 'in', ids).execute();
      } catch (err) {
        this.published.push(...ids);
        this.log.warn({ err }, 'outbox cleanup failed; will retry');
      }
    });
    return this.chain;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
