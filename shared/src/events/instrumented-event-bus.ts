import type { Metrics } from '../metrics/metrics';
import type { EventEnvelope } from './event-envelope';
import { topicOf } from './event-envelope';
import type { DeadLetter, EventBus, SubscribeOptions, Subscription } from './event-bus';

/** A bus that can tell a group's lag from the broker (KafkaEventBus). */
interface LagSource {
  consumerLag(group: string): Promise<number>;
}
const hasLag = (bus: EventBus): bus is EventBus & LagSource => typeof (bus as Partial<LagSource>).consumerLag === 'function';

/**
 * Counts what any EventBus publishes (per topic), what each group handles,
 * retries and dead-letters (when the adapter reports them: Kafka does),
 * and reports each group's lag in `eventbus_consumer_lag`. In one process (the
 * in-memory bus) that is events of its topics published here and not yet
 * handled. When the bus can ask the broker (Kafka), it is the broker's consumer
 * lag instead, polled every `lagPollMs`: what the group has not committed yet,
 * whoever published it (in Phase 3 the producer is another process).
 */
export class InstrumentedEventBus implements EventBus {
  private readonly published = new Map<string, number>();
  private readonly handled = new Map<string, number>();
  private readonly brokerGroups = new Set<string>();
  private lagTimer: NodeJS.Timeout | undefined;

  constructor(private readonly inner: EventBus, private readonly metrics: Metrics, private readonly lagPollMs = 5_000) {}

  private pollBrokerLag(group: string, source: LagSource): void {
    this.brokerGroups.add(group);
    this.lagTimer ??= setInterval(() => {
      for (const g of this.brokerGroups) {
        source.consumerLag(g).then(
          (lag) => this.metrics.busLag.set({ group: g }, lag),
          () => undefined, // broker unreachable: keep the last value; /readyz reports the outage
        );
      }
    }, this.lagPollMs);
    this.lagTimer.unref();
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    await this.inner.publish(events);
    for (const e of events) {
      const topic = topicOf(e.type);
      this.metrics.busPublished.inc({ topic });
      this.published.set(topic, (this.published.get(topic) ?? 0) + 1);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const { group, topics } = options;
    const base = topics.reduce((n, t) => n + (this.published.get(t) ?? 0), 0);
    this.handled.set(group, base);
    this.metrics.busLag.set({ group }, 0);
    const inner = this.inner;
    if (hasLag(inner)) this.pollBrokerLag(group, inner);
    return this.inner.subscribe({
      ...options,
      onDeadLetter: (dl) => {
        this.metrics.busDeadLetters.inc({ group: dl.group, topic: dl.topic ?? topicOf(dl.event.type) });
        options.onDeadLetter?.(dl);
      },
      onRetry: (retry) => {
        this.metrics.busRetries.inc({ group: retry.group, topic: retry.topic });
        options.onRetry?.(retry);
      },
      handler: async (e) => {
        await options.handler(e);
        this.consumed(group, topics, 1);
      },
      // A batch subscriber's events count as they are handled too (its returned failures go to onDeadLetter).
      ...(options.handleBatch && {
        handleBatch: async (events: readonly EventEnvelope[]) => {
          const failures = await options.handleBatch!(events);
          this.consumed(group, topics, events.length - (failures?.length ?? 0));
          return failures;
        },
      }),
    });
  }

  private consumed(group: string, topics: readonly string[], n: number): void {
    if (n <= 0) return;
    this.metrics.busConsumed.inc({ group }, n);
    const done = (this.handled.get(group) ?? 0) + n;
    this.handled.set(group, done);
    if (this.brokerGroups.has(group)) return;
    const sent = topics.reduce((count, t) => count + (this.published.get(t) ?? 0), 0);
    this.metrics.busLag.set({ group }, Math.max(0, sent - done));
  }

  deadLetters(): readonly DeadLetter[] {
    return this.inner.deadLetters();
  }

  close(): Promise<void> {
    clearInterval(this.lagTimer);
    return this.inner.close();
  }
}
