import type { EventEnvelope } from './event-envelope';

export type EventHandler = (event: EventEnvelope) => Promise<void>;

/** An event of a batch that failed deterministically (PoisonEventError, ValidationError): it alone is dead-lettered. */
export interface BatchFailure {
  readonly event: EventEnvelope;
  readonly error: unknown;
}

/**
 * Handles several events at once (e.g. one Elasticsearch `_bulk` request).
 * The events are in delivery order and share the ordering scope of the adapter
 * (Kafka: one partition; in-memory: one key). Resolving means every event is
 * done except the returned failures, which must be deterministic: each goes to
 * the dead-letter sink alone (a returned failure that is not deterministic
 * makes the whole batch transient). Throwing a transient error retries the
 * whole batch (so its effects must be idempotent); throwing a deterministic one
 * makes the adapter hand that batch to `handler`, one event at a time.
 */
export type BatchHandler = (events: readonly EventEnvelope[]) => Promise<readonly BatchFailure[] | void>;

export interface SubscribeOptions {
  /** Consumer group: each event of a topic reaches one consumer per group. */
  readonly group: string;
  /** Topics (see topicOf) this subscription reads. */
  readonly topics: readonly string[];
  readonly handler: EventHandler;
  /**
   * Optional: when set, both adapters deliver through it (a batch at a time)
   * instead of `handler`, which stays the per-event fallback (see BatchHandler).
   * The batch's effects are acknowledged (Kafka: offsets committed) only after
   * it resolved and its failures were dead-lettered.
   */
  readonly handleBatch?: BatchHandler;
  /**
   * A new group starts at the newest event instead of the oldest (for
   * per-instance groups that catch up from the store, like the WS gateway).
   */
  readonly fromLatest?: boolean;
  /**
   * Kafka: partition batches this subscription handles at once (default: the
   * bus's tuning, 3). A batch handler that merges concurrent batches into one
   * request (search's `_bulk`) raises it to the topic's partition count, so a
   * whole fetch is handled together. Per partition, always one at a time.
   */
  readonly partitionsConcurrently?: number;
  /**
   * Kafka: each batch waits this long before it is handled, so that the next
   * fetch brings many events instead of one (default 0). For groups that need
   * no hurry (search, notifications): at a few hundred events a second, a
   * fetch, a handler call and a request per event cost more than the work.
   * The in-memory bus ignores it (it has no fetches to save).
   */
  readonly lingerMs?: number;
  /**
   * In-memory bus: attempts before a failing event goes to the dead-letter
   * sink (default 5). The Kafka bus ignores it: it retries a transient failure
   * without limit and dead-letters a deterministic one at once.
   */
  readonly maxAttempts?: number;
  /** Called after an event of this subscription went to the dead-letter sink (metrics). */
  readonly onDeadLetter?: (deadLetter: DeadLetter) => void;
  /** Called after each transient failure of a handler, before the backoff (metrics). */
  readonly onRetry?: (retry: HandlerRetry) => void;
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
  /** The topic (event family, see topicOf) it was read from, when the adapter knows it. */
  readonly topic?: string;
}

export interface HandlerRetry {
  readonly group: string;
  /** The topic (event family) of the failing event. */
  readonly topic: string;
  /** Failures of this event so far. */
  readonly attempts: number;
  readonly failingForMs: number;
  readonly error: string;
}

/**
 * The EventBus port. Every adapter (in-memory, Kafka) guarantees:
 * - publish() resolves only once the bus has accepted every event (for Kafka:
 *   acknowledged by all in-sync replicas); if it rejects (e.g. the broker is
 *   down), callers must assume none, some or all were accepted and retry
 *   (the outbox relay does; consumers are idempotent).
 * - Per key, a group sees events in publish order; across keys no order.
 * - At-least-once: a handler may see an event again (after a failure, restart
 *   or rebalance); handlers must be idempotent (dedupe by event id or seq).
 *   An event's effect is acknowledged (Kafka: its offset committed) only after
 *   the handler finished, and only by the member that still owns it.
 * - Failures: a handler that throws PoisonEventError or ValidationError (or an
 *   event that cannot be decoded) fails deterministically: the event goes to
 *   the dead-letter sink and the group moves on (the key's order continues
 *   with the next event). Any other error is transient: the event is retried
 *   with capped backoff, and later events of its key wait for it. The Kafka bus
 *   retries for as long as it takes (the partition paused, the member still in
 *   its group); the in-memory bus, which has nobody to hand the event to,
 *   dead-letters it after maxAttempts.
 * - A dependency outage (the broker included) delays delivery and nothing
 *   else: subscribe() does not reject because the broker is down (it resolves
 *   once joined, or after a bounded wait while the member keeps trying), and
 *   nothing ends the process.
 * - Different groups are independent: a slow or failing group does not hold
 *   back another.
 * - close() stops consumers gracefully (the handler in hand finishes) and
 *   flushes pending publishes.
 */
export interface EventBus {
  publish(events: readonly EventEnvelope[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Dead letters recorded so far (for operations and tests). */
  deadLetters(): readonly DeadLetter[];
  close(): Promise<void>;
}
