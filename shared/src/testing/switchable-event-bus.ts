import type { EventEnvelope } from '../events/event-envelope';
import type { DeadLetter, EventBus, SubscribeOptions, Subscription } from '../events/event-bus';

/**
 * A test double of the EventBus port for publishers: publish() rejects while
 * `down` is set (accepting nothing, like a broker that is unreachable) and
 * otherwise records every accepted event, in the order the bus took them.
 * Several publishers (relays of different "processes") may share one, as they
 * share a Kafka topic.
 */
export class SwitchableEventBus implements EventBus {
  down = false;
  /** publish() calls refused while down. */
  refused = 0;

  /** `accepted`: every accepted event in acceptance order; pass one array to several clients of one "broker". */
  constructor(readonly accepted: EventEnvelope[] = []) {}

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    await Promise.resolve();
    if (this.down) {
      this.refused++;
      throw Object.assign(new Error('bus unavailable'), { code: 'ECONNREFUSED' });
    }
    this.accepted.push(...events);
  }

  /** The seqs of one room's timeline events, in the order the bus accepted them. */
  seqsOf(roomId: string): number[] {
    return this.accepted.filter((e) => e.key === roomId).map((e) => (e.payload as { seq: number }).seq);
  }

  async subscribe(_options: SubscribeOptions): Promise<Subscription> {
    return { close: async () => undefined };
  }

  deadLetters(): readonly DeadLetter[] {
    return [];
  }

  async close(): Promise<void> {}
}
