import { Kafka, Partitioners, logLevel as KafkaLogLevel } from 'kafkajs';
import type {
  Admin,
  Consumer,
  ConsumerCrashEvent,
  EachBatchPayload,
  IHeaders,
  KafkaMessage,
  LogEntry,
  Message,
  Producer,
  logLevel as LogLevel,
} from 'kafkajs';
import type { DeadLetter, EventBus, SubscribeOptions, Subscription } from './event-bus';
import type { EventEnvelope } from './event-envelope';
import { topicOf } from './event-envelope';
import type { KafkaTopicDeclaration } from './kafka-topics';
import { dlqTopicOf, loadTopicDeclarations } from './kafka-topics';

interface Logger {
  warn(obj: object, msg: string): void;
}

const consoleLogger: Logger = {
  warn: (obj, msg) => console.warn(`[kafka-event-bus] ${msg}`, obj),
};

/**
 * kafkajs's console log format, minus two kinds of noise: the warning that the
 * idempotent producer's retries are bounded (deliberate: publish() must fail
 * eventually, see the ADR) and the ERROR line kafkajs writes for every error
 * response (e.g. NOT_LEADER_FOR_PARTITION during an election), which its own
 * retries then handle; those are shown from INFO up. Failures that survive the
 * retries still surface as errors (crash, rejected publish).
 */
function kafkaLogCreator(configured: LogLevel) {
  return ({ namespace, level, label, log }: LogEntry) => {
    if (namespace === 'Producer' && log.message.startsWith('Limiting retries for the idempotent producer')) return;
    if (namespace === 'Connection' && log.message.startsWith('Response ') && configured < KafkaLogLevel.INFO) return;
    const line = JSON.stringify({ ...log, level: label, logger: 'kafkajs', message: `[${namespace}] ${log.message}` });
    if (level === KafkaLogLevel.ERROR) console.error(line);
    else if (level === KafkaLogLevel.WARN) console.warn(line);
    else console.info(line);
  };
}

/** Consumer tuning; the defaults suit production, tests shrink them. */
export interface KafkaConsumerTuning {
  /** A member that sends no heartbeat for this long is removed from its group (default 30000). */
  readonly sessionTimeout?: number;
  /** How long the coordinator waits for members to rejoin during a rebalance (default 60000). */
  readonly rebalanceTimeout?: number;
  /** Heartbeat period, also while a handler runs or backs off (default 3000). */
  readonly heartbeatInterval?: number;
  /** Longest fetch long-poll when there is nothing to read (default 1000). */
  readonly maxWaitTimeInMs?: number;
  /** Partitions handled concurrently by one consumer; per partition always one at a time (default 3). */
  readonly partitionsConsumedConcurrently?: number;
  /** Longest wait for the first group join in subscribe() (default 30000). */
  readonly joinTimeoutMs?: number;
  /**
   * Handled offsets are committed together this often (default 200). Close
   * commits what is left, so only a crash re-delivers (at most this long of
   * handled events; consumers are idempotent).
   */
  readonly commitIntervalMs?: number;
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
  /** First retry delay of a failing handler; doubles per attempt (default 100). */
  readonly retryBaseMs?: number;
  /** Cap of the retry delay (default 30000). */
  readonly retryMaxMs?: number;
  /** kafkajs log level (default WARN). */
  readonly logLevel?: LogLevel;
  readonly consumer?: KafkaConsumerTuning;
  /** Where the bus reports consumer crashes and dead letters (default console.warn). */
  readonly logger?: Logger;
  /**
   * Longest wait in close() for in-flight handlers (default 30000). After it the
   * member leaves anyway; what it was handling stays uncommitted and is handled
   * again by the group's next member.
   */
  readonly closeTimeoutMs?: number;
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
}

/** Header names on every message the bus produces. */
export const HEADER_TYPE = 'type';
export const HEADER_VERSION = 'version';
export const HEADER_EVENT_ID = 'event-id';
/** Extra headers on a dead-letter message. */
export const DLQ_HEADERS = {
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  group: 'dlq-group',
  error: 'dlq-error',
  attempts: 'dlq-attempts',
  at: 'dlq-at',
} as const;

type Outcome = 'handled' | 'dead-lettered' | 'abandoned';

interface SubscriptionState {
  readonly options: SubscribeOptions;
  readonly consumer: Consumer;
  /** Prefixed topic names. */
  readonly topics: readonly string[];
  closing: boolean;
  /** close() gave up waiting: whatever finishes now must not be committed. */
  abandoned: boolean;
  /** Resolves when close() gives up, releasing kafkajs from a stuck eachBatch so the member can leave. */
  readonly giveUp: Promise<void>;
  readonly signalGiveUp: () => void;
  /** eachBatch calls in progress. */
  readonly active: Set<Promise<void>>;
  /** Handled but not yet committed: `topic:partition` → next offset to read. */
  readonly uncommitted: Map<string, { topic: string; partition: number; offset: string }>;
  commitTimer?: NodeJS.Timeout;
  /** The commit in progress; commits of one subscription never overlap. */
  committing: Promise<void>;
  close?: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function headerString(value: IHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined ? undefined : v.toString();
}

/** Retries fn on kafkajs errors marked retriable (NOT_LEADER_FOR_PARTITION right after a topic is created, elections). */
async function retrying<T>(fn: () => Promise<T>, attempts = 8, baseMs = 50): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retriable = (err as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= attempts) throw err;
      await sleep(Math.min(2_000, baseMs * 2 ** (attempt - 1)));
    }
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * The Phase 3 bus: Kafka via kafkajs. One topic per event family (topicOf),
 * message key = envelope key (roomId for room events) so a key's events share
 * a partition and keep their order; idempotent producer with acks=all; one
 * consumer group per subscription group, offsets committed (every 200 ms) only
 * after the handler finished; failing handlers are retried with backoff and
 * then sent to `<topic>.dlq`. See docs/adr/0006-kafka-event-bus.md.
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly prefix: string;
  private readonly declarations: Map<string, KafkaTopicDeclaration>;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly tuning: Required<KafkaConsumerTuning>;
  private readonly log: Logger;
  private readonly subscriptions = new Set<SubscriptionState>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly dead: DeadLetter[] = [];
  /** Prefixed topics known to exist. */
  private readonly existing = new Set<string>();
  private ensuring: Promise<void> = Promise.resolve();
  private started: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.log = options.logger ?? consoleLogger;
    const c = options.consumer ?? {};
    this.tuning = {
      sessionTimeout: c.sessionTimeout ?? 30_000,
      rebalanceTimeout: c.rebalanceTimeout ?? 60_000,
      heartbeatInterval: c.heartbeatInterval ?? 3_000,
      maxWaitTimeInMs: c.maxWaitTimeInMs ?? 1_000,
      partitionsConsumedConcurrently: c.partitionsConsumedConcurrently ?? 3,
      joinTimeoutMs: c.joinTimeoutMs ?? 30_000,
      commitIntervalMs: c.commitIntervalMs ?? 200,
    };
    const declarations = options.topics ?? loadTopicDeclarations();
    this.declarations = new Map(declarations.map((d) => [d.name, d]));
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: options.logLevel ?? KafkaLogLevel.WARN,
      logCreator: kafkaLogCreator,
      connectionTimeout: options.connectionTimeout ?? 3_000,
      requestTimeout: options.requestTimeout ?? 30_000,
      retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 partitioning: a key maps to the same partition from any client.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
  }

  /** Creates the bus, its missing topics, and connects the producer. */
  static async connect(options: KafkaEventBusOptions): Promise<KafkaEventBus> {
    const bus = new KafkaEventBus(options);
    try {
      await bus.start();
    } catch (err) {
      await bus.close().catch(() => {});
      throw err;
    }
    return bus;
  }

  /** Idempotent: connects admin + producer and creates every declared topic that is missing. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.admin.connect();
      await this.ensureTopics([...this.declarations.keys()].map((n) => this.prefix + n));
      await this.producer.connect();
    })().catch((err: unknown) => {
      this.started = undefined; // a later start() tries again
      throw err;
    });
    return this.started;
  }

  /** Readiness: the cluster answers a metadata request. */
  async ping(): Promise<void> {
    await this.start();
    await this.admin.describeCluster();
  }

  /** The prefixed topic name of an event family topic. */
  topicName(topic: string): string {
    return this.prefix + topic;
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    if (this.closed) throw new Error('KafkaEventBus is closed');
    if (events.length === 0) return;
    const send = this.send(events);
    this.pending.add(send);
    try {
      await send;
    } finally {
      this.pending.delete(send);
    }
  }

  private async send(events: readonly EventEnvelope[]): Promise<void> {
    await this.start();
    const byTopic = new Map<string, Message[]>();
    for (const event of events) {
      const topic = this.topicName(topicOf(event.type));
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push({
        key: event.key,
        value: JSON.stringify(event),
        headers: { [HEADER_TYPE]: event.type, [HEADER_VERSION]: String(event.version), [HEADER_EVENT_ID]: event.id },
      });
    }
    await this.ensureTopics([...byTopic.keys()]);
    // Idempotent producer, one request in flight: a retried request cannot reorder or duplicate.
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('KafkaEventBus is closed');
    await this.start();
    const topics = options.topics.map((t) => this.topicName(t));
    await this.ensureTopics(topics);
    const t = this.tuning;
    const consumer = this.kafka.consumer({
      // Groups share the topic prefix, so deployments on one broker never split each other's partitions.
      groupId: this.prefix + options.group,
      sessionTimeout: t.sessionTimeout,
      rebalanceTimeout: t.rebalanceTimeout,
      heartbeatInterval: t.heartbeatInterval,
      maxWaitTimeInMs: t.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8, restartOnFailure: async () => !state.closing },
    });
    let signalGiveUp!: () => void;
    const giveUp = new Promise<void>((r) => (signalGiveUp = r));
    const state: SubscriptionState = {
      options,
      consumer,
      topics,
      closing: false,
      abandoned: false,
      giveUp,
      signalGiveUp,
      active: new Set(),
      uncommitted: new Map(),
      committing: Promise.resolve(),
    };
    this.subscriptions.add(state);

    let joined!: () => void;
    let failed!: (err: Error) => void;
    const firstJoin = new Promise<void>((resolve, reject) => ((joined = resolve), (failed = reject)));
    const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => joined());
    const offCrash = consumer.on(consumer.events.CRASH, (e: ConsumerCrashEvent) => {
      this.log.warn(
        { group: options.group, error: errorText(e.payload.error), restart: e.payload.restart },
        'consumer crashed',
      );
      if (!e.payload.restart) failed(e.payload.error);
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      // New groups start at the beginning; existing groups resume after their committed offsets.
      await consumer.subscribe({ topics: [...topics], fromBeginning: !options.fromLatest });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: t.partitionsConsumedConcurrently,
        // kafkajs's disconnect waits for eachBatch; giveUp lets a close() that timed out leave anyway.
        eachBatch: (payload) => Promise.race([this.track(state, this.consumeBatch(state, payload)), state.giveUp]),
      });
      state.commitTimer = setInterval(() => void this.commitHandled(state), t.commitIntervalMs);
      state.commitTimer.unref();
      // Partitions are assigned once the member joined (and synced): events published from now on
      // land after the offsets it will start from, so none are missed.
      await Promise.race([
        firstJoin,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`group ${options.group}: no partition assignment within ${t.joinTimeoutMs}ms`)),
            t.joinTimeoutMs,
          );
        }),
      ]);
    } catch (err) {
      state.closing = true;
      clearInterval(state.commitTimer);
      this.subscriptions.delete(state);
      await consumer.disconnect().catch(() => {});
      throw err;
    } finally {
      clearTimeout(timer);
      offJoin();
    }
    return {
      close: async () => {
        offCrash();
        await this.closeSubscription(state);
      },
    };
  }

  deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  /**
   * Messages of `group` not yet committed on the given topics (default: the
   * topics this bus subscribed the group to, else those it has offsets for).
   * Partitions without a committed offset count from the log start.
   */
  async consumerLag(group: string, topics?: readonly string[]): Promise<number> {
    await this.start();
    let names = topics?.map((t) => this.topicName(t));
    if (!names) {
      const subscribed = [...this.subscriptions].filter((s) => s.options.group === group).flatMap((s) => s.topics);
      names = subscribed.length > 0 ? [...new Set(subscribed)] : undefined;
    }
    const committed = await retrying(() =>
      this.admin.fetchOffsets(names ? { groupId: this.prefix + group, topics: names } : { groupId: this.prefix + group }),
    );
    let lag = 0;
    for (const { topic, partitions } of committed) {
      const ends = await retrying(() => this.admin.fetchTopicOffsets(topic));
      for (const end of ends) {
        const c = partitions.find((p) => p.partition === end.partition);
        const from = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(end.low);
        lag += Math.max(0, Number(end.high) - from);
      }
    }
    return lag;
  }

  /** Stops every consumer (in-flight handlers finish first), flushes pending publishes, disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subscriptions].map((s) => this.closeSubscription(s)));
      this.closed = true;
      await Promise.allSettled([...this.pending]);
      if (this.started) await this.started.catch(() => {});
      await this.producer.disconnect().catch(() => {});
      await this.admin.disconnect().catch(() => {});
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------------------

  private closeSubscription(state: SubscriptionState): Promise<void> {
    state.close ??= (async () => {
      state.closing = true;
      // eachBatch stops after the message in hand; wait for it (handler + commit) before leaving the group.
      const deadline = Date.now() + (this.options.closeTimeoutMs ?? 30_000);
      while (state.active.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) {
          state.abandoned = true;
          state.signalGiveUp();
          this.log.warn({ group: state.options.group }, 'close: handler still running after closeTimeoutMs; leaving it uncommitted');
          break;
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...state.active]),
          new Promise<void>((r) => (timer = setTimeout(r, left))),
        ]);
        clearTimeout(timer);
      }
      clearInterval(state.commitTimer);
      await this.commitHandled(state);
      await state.consumer.disconnect().catch((err: unknown) => {
        this.log.warn({ group: state.options.group, error: errorText(err) }, 'consumer disconnect failed');
      });
      this.subscriptions.delete(state);
    })();
    return state.close;
  }

  private track(state: SubscriptionState, work: Promise<void>): Promise<void> {
    state.active.add(work);
    return work.finally(() => state.active.delete(work));
  }

  /**
   * One partition's batch, in offset order: handle a message, mark its
   * offset + 1 as handled (commitHandled commits it), move on. A closing subscription stops between messages and
   * leaves the rest uncommitted for the group's next member.
   */
  private async consumeBatch(state: SubscriptionState, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    let handledUpTo: string | undefined;
    try {
      for (const message of batch.messages) {
        if (state.closing || !payload.isRunning() || payload.isStale()) return;
        const outcome = await this.withHeartbeat(state, payload, () =>
          this.handleMessage(state, batch.topic, batch.partition, message),
        );
        if (outcome === 'abandoned' || state.abandoned) return;
        handledUpTo = (BigInt(message.offset) + 1n).toString();
        payload.resolveOffset(message.offset);
        // Throws when the group is rebalancing, which makes kafkajs rejoin; what was handled is marked below.
        await payload.heartbeat();
      }
    } finally {
      // Marked (and later committed) only after every effect up to it is done: a crash before the
      // commit only means those events come again (at-least-once; consumers are idempotent).
      if (handledUpTo !== undefined) state.uncommitted.set(`${batch.topic}:${batch.partition}`, { topic: batch.topic, partition: batch.partition, offset: handledUpTo });
    }
  }

  /**
   * Commits the handled offsets gathered since the last commit, all partitions
   * in one request. An offset only ever says "handled up to here", so a commit
   * that lands after a rebalance moved the partition is still true; a failed
   * one is kept for the next round unless a newer offset replaced it.
   */
  private commitHandled(state: SubscriptionState): Promise<void> {
    state.committing = state.committing.then(async () => {
      if (state.uncommitted.size === 0) return;
      const offsets = [...state.uncommitted.values()];
      state.uncommitted.clear();
      try {
        await state.consumer.commitOffsets(offsets);
      } catch (err) {
        for (const o of offsets) {
          const k = `${o.topic}:${o.partition}`;
          if (!state.uncommitted.has(k)) state.uncommitted.set(k, o);
        }
        this.log.warn({ group: state.options.group, error: errorText(err) }, 'offset commit failed; will retry');
      }
    });
    return state.committing;
  }

  /** Keeps the member alive while a slow handler runs or backs off, so it is not evicted from the group. */
  private async withHeartbeat<T>(state: SubscriptionState, payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      if (state.abandoned) return;
      // A rebalance error surfaces again from the heartbeat after the batch is committed.
      payload.heartbeat().catch(() => {});
    }, Math.max(100, Math.floor(this.tuning.heartbeatInterval / 2)));
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  private async handleMessage(
    state: SubscriptionState,
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<Outcome> {
    const { group, handler } = state.options;
    const maxAttempts = Math.max(1, state.options.maxAttempts ?? 5);
    let event: EventEnvelope;
    try {
      event = JSON.parse(message.value?.toString() ?? 'null') as EventEnvelope;
      if (!event || typeof event !== 'object' || typeof event.type !== 'string') throw new Error('not an event envelope');
    } catch (err) {
      // Undecodable: retrying cannot help, dead-letter it at once.
      const placeholder: EventEnvelope = {
        id: `${topic}/${partition}/${message.offset}`,
        type: headerString(message.headers?.[HEADER_TYPE]) ?? 'unknown',
        version: Number(headerString(message.headers?.[HEADER_VERSION]) ?? 0),
        key: message.key?.toString() ?? '',
        occurredAt: new Date(Number(message.timestamp)).toISOString(),
        payload: message.value?.toString() ?? null,
      };
      await this.deadLetter(state, topic, partition, message, placeholder, `undecodable: ${errorText(err)}`, 0);
      return 'dead-lettered';
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event);
        return 'handled';
      } catch (err) {
        // Stopping: leave the event uncommitted; the group's next member handles it again.
        if (state.closing) return 'abandoned';
        if (attempt >= maxAttempts) {
          await this.deadLetter(state, topic, partition, message, event, errorText(err), attempt);
          this.log.warn({ group, topic, partition, offset: message.offset, id: event.id, error: errorText(err) }, 'dead-lettered');
          return 'dead-lettered';
        }
        const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempt - 1));
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (state.closing) return 'abandoned';
          await sleep(Math.min(50, until - Date.now()));
        }
      }
    }
  }

  private async deadLetter(
    state: SubscriptionState,
    topic: string,
    partition: number,
    message: KafkaMessage,
    event: EventEnvelope,
    error: string,
    attempts: number,
  ): Promise<void> {
    const dlq = dlqTopicOf(topic);
    await this.ensureTopics([dlq]);
    await this.producer.send({
      topic: dlq,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...(message.headers ?? {}),
            [DLQ_HEADERS.topic]: topic,
            [DLQ_HEADERS.partition]: String(partition),
            [DLQ_HEADERS.offset]: message.offset,
            [DLQ_HEADERS.group]: state.options.group,
            [DLQ_HEADERS.error]: error.slice(0, 2000),
            [DLQ_HEADERS.attempts]: String(attempts),
            [DLQ_HEADERS.at]: new Date().toISOString(),
          },
        },
      ],
    });
    this.dead.push({ group: state.options.group, event, error, attempts });
  }

  /** Creates the given (prefixed) topics if missing, with their declared partitions; concurrent calls queue. */
  private ensureTopics(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => !this.existing.has(t));
    if (missing.length === 0) return Promise.resolve();
    const run = this.ensuring.then(async () => {
      const todo = missing.filter((t) => !this.existing.has(t));
      if (todo.length === 0) return;
      const present = new Set(await this.admin.listTopics());
      const create = todo.filter((t) => !present.has(t));
      if (create.length > 0) {
        await this.admin.createTopics({
          waitForLeaders: true,
          timeout: 30_000,
          topics: create.map((name) => {
            const d = this.declarations.get(name.slice(this.prefix.length));
            return {
              topic: name,
              numPartitions: d?.partitions ?? this.options.defaultPartitions ?? 1,
              replicationFactor: this.options.replicationFactor ?? d?.replicationFactor ?? 1,
              configEntries: Object.entries(d?.config ?? {}).map(([name, value]) => ({ name, value })),
            };
          }),
        });
        // Leaders are in the metadata once createTopics returns, but a partition can refuse requests
        // (NOT_LEADER_FOR_PARTITION) a moment longer; wait until every new partition answers.
        for (const topic of create) await retrying(() => this.admin.fetchTopicOffsets(topic), 12);
      }
      const existed = todo.filter((t) => present.has(t) && this.declarations.has(t.slice(this.prefix.length)));
      if (existed.length > 0) {
        // Never repartition automatically: more partitions move keys and break per-key order.
        const meta = await retrying(() => this.admin.fetchTopicMetadata({ topics: existed }));
        for (const m of meta.topics) {
          const declared = this.declarations.get(m.name.slice(this.prefix.length))?.partitions;
          if (declared !== undefined && m.partitions.length !== declared) {
            this.log.warn({ topic: m.name, partitions: m.partitions.length, declared }, 'topic partitions differ from the declaration');
          }
        }
      }
      for (const t of todo) this.existing.add(t);
    });
    this.ensuring = run.catch(() => {});
    return run;
  }
}
