import type { Metrics } from '../metrics/metrics';
import type { EventEnvelope } from './event-envelope';
import { topicOf } from './event-envelope';
import type { DeadLetter, EventBus, SubscribeOptions, Subscription } from './event-bus';

/**
 * Counts what any EventBus publishes (per topic) and what each group handles,
 * and reports the lag of each group in this process: events of its topics
 * published here and not yet handled (Kafka adds its own consumer lag).
 */
export class InstrumentedEventBus implements EventBus {
  private readonly published = new Map<string, number>();
  private readonly handled = new Map<string, number>();

  constructor(private readonly inner: EventBus, private readonly metrics: Metrics) {}

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
    return this.inner.subscribe({
      ...options,
      handler: async (e) => {
        await options.handler(e);
        this.metrics.busConsumed.inc({ group });
        const done = (this.handled.get(group) ?? 0) + 1;
        this.handled.set(group, done);
        const sent = topics.reduce((n, t) => n + (this.published.get(t) ?? 0), 0);
        this.metrics.busLag.set({ group }, Math.max(0, sent - done));
      },
    });
  }

  deadLetters(): readonly DeadLetter[] {
    return this.inner.deadLetters();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
