import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { IndexFailure } from './es-message-index';

type ApplyBatch = (events: readonly TimelineEvent[]) => Promise<IndexFailure[]>;

interface Waiting {
  readonly events: readonly TimelineEvent[];
  resolve(failures: IndexFailure[]): void;
  reject(err: unknown): void;
}

/**
 * Group commit for the search index: the partition batches that arrive
 * together (one Kafka fetch, handled concurrently) or while a `_bulk` is in
 * flight go to Elasticsearch as ONE `applyBatch`, one request at a time.
 * At 500 msgs/s a partition's batch holds one or two events; a `_bulk` per
 * partition batch made Elasticsearch pay a request and a translog sync for
 * each (docs/performance.md, "Phase 3 cost, second round").
 *
 * Each caller gets back only its own refused events (positions in its own
 * batch). If the merged call rejects (transient), every caller in it rejects
 * and retries its own batch; external versions make rewriting harmless.
 * Batches never mix within a room: a room is one partition, handled by one
 * caller at a time. Bounded: a merged call takes at most `maxEvents` events
 * (more wait for the next one; a single larger batch goes alone).
 */
export class CoalescingIndexWriter {
  private waiting: Waiting[] = [];
  private draining = false;

  constructor(private readonly applyBatch: ApplyBatch, private readonly maxEvents = 5_000) {}

  apply(events: readonly TimelineEvent[]): Promise<IndexFailure[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // The rest of this fetch's partitions start in this turn of the loop: let them join.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const group = this.take();
        try {
          const failures = await this.applyBatch(group.flatMap((w) => w.events));
          let start = 0;
          for (const w of group) {
            const end = start + w.events.length;
            w.resolve(failures.filter((f) => f.index >= start && f.index < end).map((f) => ({ index: f.index - start, error: f.error })));
            start = end;
          }
        } catch (err) {
          for (const w of group) w.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The oldest waiting batches, up to maxEvents in all (at least one batch). */
  private take(): Waiting[] {
    let n = 0;
    let events = 0;
    while (n < this.waiting.length && (n === 0 || events + this.waiting[n]!.events.length <= this.maxEvents)) events += this.waiting[n++]!.events.length;
    return this.waiting.splice(0, n);
  }
}
