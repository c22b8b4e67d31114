import type { logLevel as LogLevel } from 'kafkajs';
import type { KafkaTopicDeclaration } from './kafka-topics';

/** Where the bus reports what operations should see (crashes, retries, dead letters). */
export interface BusLogger {
  warn(obj: object, msg: string): void;
}

export const consoleLogger: BusLogger = {
  warn: (obj, msg) => console.warn(`[kafka-event-bus] ${msg}`, obj),
};

/** Consumer tuning; the defaults suit production, tests shrink them. */
export interface KafkaConsumerTuning {
  /**
   * A member that sends no heartbeat for this long is removed from its group (default 10000). A member
   * killed without leaving holds its partitions this long: with ws-fanout, the live events of a share of the
   * rooms wait for it (a 30 s session stalled them 32 s after kill -9 of a ws instance, test/phase3/faults.test.ts).
   * Kafka's floor is group.min.session.timeout.ms (6 s by default); heartbeats go every 3 s, also during long handlers.
   */
  readonly sessionTimeout?: number;
  /** How long the coordinator waits for members to rejoin during a rebalance (default 60000). */
  readonly rebalanceTimeout?: number;
  /** Heartbeat period, also while a handler runs (default 3000). */
  readonly heartbeatInterval?: number;
  /** Longest fetch long-poll when there is nothing to read (default 1000). */
  readonly maxWaitTimeInMs?: number;
  /** Partitions handled concurrently by one consumer; per partition always one at a time (default 3). */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Longest wait in subscribe() for the first group join (default 30000). After
   * it subscribe() resolves anyway and the member keeps trying to join.
   */
  readonly joinTimeoutMs?: number;
  /**
   * Handled offsets are committed together this often (default 200). Close
   * commits what is left, so only a crash re-delivers (at most this long of
   * handled events; consumers are idempotent).
   */
  readonly commitIntervalMs?: number;
  /** First delay before a member that could not start or crashed is started again; doubles (default 1000). */
  readonly restartBaseMs?: number;
  /** Cap of that delay (default 30000). */
  readonly restartMaxMs?: number;
}

export interface KafkaEventBusOptions {
  readonly brokers: string[];
  readonly clientId: string;
  /** Prepended to every topic name (tests use a fresh prefix per run). Default ''. */
  readonly topicPrefix?: string;
  /** Topic declarations; default infra/kafka/topics.json. Names are without the prefix. */
  readonly topics?: readonly KafkaTopicDeclaration[];
  /** Overrides every declaration's replication factor (production: 3). */
  readonly replicationFactor?: number;
  /** Partitions of a topic that is used but not declared (default 1). */
  readonly defaultPartitions?: number;
  /** First retry delay of a handler that failed transiently; doubles per failure (default 100). */
  readonly retryBaseMs?: number;
  /** Cap of the retry delay (default 30000). Transient failures are retried without limit. */
  readonly retryMaxMs?: number;
  /** kafkajs log level (default WARN). */
  readonly logLevel?: LogLevel;
  readonly consumer?: KafkaConsumerTuning;
  /** Where the bus reports consumer crashes, retries and dead letters (default console.warn). */
  readonly logger?: BusLogger;
  /**
   * Longest wait in close() for in-flight handlers (default 30000). After it the
   * member leaves anyway; what it was handling stays uncommitted and is handled
   * again by the group's next member.
   */
  readonly closeTimeoutMs?: number;
  /**
   * Longest wait in connect() for the broker (default 30000). An unreachable
   * broker does not fail connect(): the bus connects on first use.
   */
  readonly startTimeoutMs?: number;
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
}

export type ResolvedTuning = Required<KafkaConsumerTuning>;

export function resolveTuning(c: KafkaConsumerTuning = {}): ResolvedTuning {
  return {
    sessionTimeout: c.sessionTimeout ?? 10_000,
    rebalanceTimeout: c.rebalanceTimeout ?? 60_000,
    heartbeatInterval: c.heartbeatInterval ?? 3_000,
    maxWaitTimeInMs: c.maxWaitTimeInMs ?? 1_000,
    partitionsConsumedConcurrently: c.partitionsConsumedConcurrently ?? 3,
    joinTimeoutMs: c.joinTimeoutMs ?? 30_000,
    commitIntervalMs: c.commitIntervalMs ?? 200,
    restartBaseMs: c.restartBaseMs ?? 1_000,
    restartMaxMs: c.restartMaxMs ?? 30_000,
  };
}
