import type { BaseOptions } from '@platformatic/kafka';
import { isTransientDependencyFailure } from '../consumer-retry-policy';
import type { KafkaEventBusOptions } from '../kafka-options';

/**
 * What every @platformatic/kafka client of a bus shares: brokers, timeouts and
 * a bounded retry with exponential backoff, close to the kafkajs client's
 * (100 ms doubling to 5 s, 8 retries). Bounded on purpose, as there: publish()
 * must reject while the broker is down (the outbox relay retries), and a
 * consumer whose retries run out is restarted by its member loop.
 */
export function clientOptions(options: KafkaEventBusOptions, suffix: string): BaseOptions {
  return {
    clientId: `${options.clientId}-${suffix}`.replace(/\s+/g, '_'),
    bootstrapBrokers: options.brokers,
    connectTimeout: options.connectionTimeout ?? 3_000,
    timeout: options.requestTimeout ?? 30_000,
    retries: 8,
    retryDelay: (_client, _operation, attempt) => Math.min(5_000, 100 * 2 ** Math.max(0, attempt - 1)),
  };
}

interface ErrorLike {
  code?: unknown;
  apiId?: unknown;
  canRetry?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Every error in a @platformatic/kafka error tree (MultipleErrors nest their causes in `errors`). */
function* errorTree(err: unknown, depth = 0): Generator<ErrorLike> {
  if (!err || typeof err !== 'object' || depth > 5) return;
  const e = err as ErrorLike;
  yield e;
  if (e.cause) yield* errorTree(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* errorTree(inner, depth + 1);
}

/** The Kafka protocol error ids (`REBALANCE_IN_PROGRESS`, …) anywhere in an error tree. */
export function protocolErrorIds(err: unknown): string[] {
  const ids: string[] = [];
  for (const e of errorTree(err)) if (typeof e.apiId === 'string') ids.push(e.apiId);
  return ids;
}

/**
 * The kafkajs adapter's helpers (offset tracker, producer-state check) read a
 * Kafka error's id from `type` along the `cause` chain; @platformatic/kafka puts
 * it in `apiId`, possibly nested in a MultipleErrors. This wraps such an error so
 * those helpers see the same id.
 */
export function withKafkaType(err: unknown): unknown {
  const ids = protocolErrorIds(err);
  if (ids.length === 0) return err;
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(`${message} (${ids.join(', ')})`, { cause: err }), { type: ids[0], name: 'KafkaProtocolError' });
}

/**
 * A broker that cannot be reached or answered "try again later": network
 * errors and timeouts (both PLT_KFK_NETWORK), retriable protocol errors, or
 * whatever the shared policy already calls transient.
 */
export function isTransientKafkaFailure(err: unknown): boolean {
  if (isTransientDependencyFailure(err)) return true;
  for (const e of errorTree(err)) {
    if (e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT') return true;
    if (typeof e.apiId === 'string' && e.canRetry === true) return true;
  }
  return false;
}
