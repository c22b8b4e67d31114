import { retryDelayMs } from './consumer-retry-policy';

interface Failing {
  readonly topic: string;
  readonly partition: number;
  offset: string;
  failures: number;
  since: number;
  timer?: NodeJS.Timeout;
  resume?: () => void;
}

export interface FailureCount {
  /** Transient failures of this message so far. */
  readonly failures: number;
  /** Delay before the next attempt. */
  readonly delayMs: number;
  /** Since when this message has been failing. */
  readonly failingForMs: number;
}

const key = (topic: string, partition: number) => `${topic}:${partition}`;

/** kafkajs's resume only updates its subscription state; a consumer already gone makes it moot. */
function safely(resume: () => void): void {
  try {
    resume();
  } catch {
    // nothing to resume
  }
}

/**
 * Partitions paused because their next message failed transiently. The
 * message stays unresolved, so when the partition resumes (after the backoff)
 * kafkajs fetches it again and the handler gets another attempt; meanwhile the
 * member keeps fetching its other partitions and heartbeating, and close() has
 * nothing to wait for. Counts are per message: another offset starts at 1.
 */
export class KafkaPartitionRetries {
  private readonly failing = new Map<string, Failing>();

  constructor(private readonly baseMs: number, private readonly maxMs: number) {}

  failed(topic: string, partition: number, offset: string): FailureCount {
    const k = key(topic, partition);
    let f = this.failing.get(k);
    if (!f || f.offset !== offset) {
      if (f) this.cancel(f);
      f = { topic, partition, offset, failures: 0, since: Date.now() };
      this.failing.set(k, f);
    }
    f.failures++;
    return { failures: f.failures, delayMs: retryDelayMs(f.failures, this.baseMs, this.maxMs), failingForMs: Date.now() - f.since };
  }

  /** The partition is paused; `resume` runs after delayMs (or when the partition is revoked). */
  paused(topic: string, partition: number, delayMs: number, resume: () => void): void {
    const f = this.failing.get(key(topic, partition));
    if (!f) return safely(resume);
    this.cancel(f);
    f.resume = resume;
    f.timer = setTimeout(() => {
      f.timer = undefined;
      f.resume = undefined;
      safely(resume);
    }, delayMs);
    f.timer.unref();
  }

  succeeded(topic: string, partition: number): void {
    const f = this.failing.get(key(topic, partition));
    if (!f) return;
    this.cancel(f);
    this.failing.delete(key(topic, partition));
  }

  /** After a rebalance: forget (and unpause) the partitions this member no longer owns. */
  keepOnly(owns: (topic: string, partition: number) => boolean): void {
    for (const f of [...this.failing.values()]) {
      if (owns(f.topic, f.partition)) continue;
      const resume = f.resume;
      this.cancel(f);
      this.failing.delete(key(f.topic, f.partition));
      if (resume) safely(resume);
    }
  }

  /** Stops every backoff timer (close, or the consumer is gone). */
  clear(): void {
    for (const f of this.failing.values()) this.cancel(f);
    this.failing.clear();
  }

  private cancel(f: Failing): void {
    clearTimeout(f.timer);
    f.timer = undefined;
    f.resume = undefined;
  }
}
