import type { EventEnvelope } from './event-envelope';
import { topicOf } from './event-envelope';
import type { BatchHandler, DeadLetter, EventBus, SubscribeOptions, Subscription } from './event-bus';
import { classifyFailure } from './consumer-retry-policy';

/** At most this many queued events of a key go to one handleBatch call. */
const MAX_BATCH = 500;

export interface InMemoryEventBusOptions {
  /** First retry delay; doubles per attempt. */
  readonly retryBaseMs?: number;
}

/** One consumer group's state: a FIFO per key, drained by one worker per key. */
class GroupConsumer {
  private readonly queues = new Map<string, EventEnvelope[]>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly retryBaseMs: number,
    private readonly onDeadLetter: (dl: DeadLetter) => void,
  ) {}

  accepts(topic: string): boolean {
    return !this.closed && this.options.topics.includes(topic);
  }

  enqueue(event: EventEnvelope): void {
    const queue = this.queues.get(event.key);
    if (queue) {
      queue.push(event);
      return;
    }
    this.queues.set(event.key, [event]);
    const worker = this.drain(event.key).finally(() => this.running.delete(worker));
    this.running.add(worker);
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    try {
      const handleBatch = this.options.handleBatch;
      // Batch mode: let the publish() that started this worker queue the rest of its events first.
      if (handleBatch) await Promise.resolve();
      while (queue.length > 0 && !this.closed) {
        if (handleBatch) {
          const n = Math.min(queue.length, MAX_BATCH);
          await this.deliverBatch(queue.slice(0, n), handleBatch);
          queue.splice(0, n);
          continue;
        }
        await this.deliver(queue[0]!);
        queue.shift();
      }
    } finally {
      this.queues.delete(key);
    }
  }

  private async deliver(event: EventEnvelope): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.handler(event);
        return;
      } catch (err) {
        if (attempt >= maxAttempts || this.closed) {
          this.onDeadLetter({ group: this.options.group, event, error: String(err), attempts: attempt });
          return;
        }
        await new Promise((r) => setTimeout(r, this.retryBaseMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** Like deliver(), for a batch: returned failures are dead-lettered alone; a deterministic throw falls back to deliver(). */
  private async deliverBatch(batch: EventEnvelope[], handleBatch: BatchHandler): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const failures = (await handleBatch(batch)) ?? [];
        if (failures.some((f) => classifyFailure(f.error).kind !== 'deterministic')) throw failures.find((f) => classifyFailure(f.error).kind !== 'deterministic')!.error;
        for (const f of failures) this.onDeadLetter({ group: this.options.group, event: f.event, error: String(f.error), attempts: attempt });
        return;
      } catch (err) {
        if (classifyFailure(err).kind === 'deterministic') {
          for (const event of batch) await this.deliver(event);
          return;
        }
        if (attempt >= maxAttempts || this.closed) {
          for (const event of batch) this.onDeadLetter({ group: this.options.group, event, error: String(err), attempts: attempt });
          return;
        }
        await new Promise((r) => setTimeout(r, this.retryBaseMs * 2 ** (attempt - 1)));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running]);
  }
}

/**
 * The Phase 1 bus: delivery in this process only. publish() resolves once the
 * events are queued for every subscribed group; durability across restarts
 * comes from the outbox relay that feeds it, not from the bus itself.
 */
export class InMemoryEventBus implements EventBus {
  private readonly groups = new Set<GroupConsumer>();
  private readonly dead: DeadLetter[] = [];
  private readonly retryBaseMs: number;

  constructor(options: InMemoryEventBusOptions = {}) {
    this.retryBaseMs = options.retryBaseMs ?? 20;
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    for (const event of events) {
      const topic = topicOf(event.type);
      for (const group of this.groups) if (group.accepts(topic)) group.enqueue(event);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const group = new GroupConsumer(options, this.retryBaseMs, (dl) => this.dead.push(dl));
    this.groups.add(group);
    return {
      close: async () => {
        this.groups.delete(group);
        await group.close();
      },
    };
  }

  deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  async close(): Promise<void> {
    await Promise.all([...this.groups].map((g) => g.close()));
    this.groups.clear();
  }
}
