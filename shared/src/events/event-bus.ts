import type { EventEnvelope } from './event-envelope';

export type EventHandler = (event: EventEnvelope) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: each event of a topic reaches one consumer per group. */
  readonly group: string;
  /** Topics (see topicOf) this subscription reads. */
  readonly topics: readonly string[];
  readonly handler: EventHandler;
  /**
   * A new group starts at the newest event instead of the oldest (for
   * per-instance groups that catch up from the store, like the WS gateway).
   */
  readonly fromLatest?: boolean;
  /** Attempts before an event goes to the dead-letter sink (default 5). */
  readonly maxAttempts?: number;
}

export interface Subscription {
  /** Stops delivering; resolves once in-flight handlers have finished. */
  close(): Promise<void>;
}

export interface DeadLetter {
  readonly group: string;
  readonly event: EventEnvelope;
  readonly error: string;
  readonly attempts: number;
}

/**
 * The EventBus port. Every adapter (in-memory, Kafka) guarantees:
 * - publish() resolves only once the bus has accepted every event (for Kafka:
 *   acknowledged by all in-sync replicas); if it rejects, callers must assume
 *   none, some or all were accepted and retry (consumers are idempotent).
 * - Per key, a group sees events in publish order; across keys no order.
 * - At-least-once: a handler may see an event again (after a failure, restart
 *   or rebalance); handlers must be idempotent (dedupe by event id or seq).
 * - A handler that throws is retried with backoff; after maxAttempts the event
 *   goes to the dead-letter sink and the group moves on (the key's order
 *   continues with the next event).
 * - Different groups are independent: a slow or failing group does not hold
 *   back another.
 * - close() stops consumers gracefully and flushes pending publishes.
 */
export interface EventBus {
  publish(events: readonly EventEnvelope[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Dead letters recorded so far (for operations and tests). */
  deadLetters(): readonly DeadLetter[];
  close(): Promise<void>;
}
