import { startNewGroupAtEnd } from './kafka-group-start';
import type { Admin, Kafka } from 'kafkajs';
import type { DeadLetter, EventBus, SubscribeOptions, Subscription } from './event-bus';
import type { EventEnvelope } from './event-envelope';
import { errorText, isTransientDependencyFailure } from './consumer-retry-policy';
import { KafkaDeadLetterSink } from './dead-letter';
import { createKafkaClient } from './kafka-client';
import { consumerLag } from './kafka-consumer-lag';
import { consoleLogger, resolveTuning, type BusLogger, type KafkaEventBusOptions } from './kafka-options';
import { KafkaEventProducer } from './kafka-producer';
import { KafkaSubscription } from './kafka-subscription';
import { KafkaTopicAdmin } from './kafka-topic-admin';
import { loadTopicDeclarations } from './kafka-topics';

export type { KafkaConsumerTuning, KafkaEventBusOptions } from './kafka-options';
export { HEADER_EVENT_ID, HEADER_REPLAY_GROUP, HEADER_TYPE, HEADER_VERSION } from './kafka-message-codec';
export { DLQ_HEADERS } from './dead-letter';

/**
 * The Phase 3 bus: Kafka via kafkajs. One topic per event family (topicOf),
 * message key = envelope key, so a key's events share a partition and keep
 * their order. A consumer retries a transient failure for as long as it takes
 * (that partition paused), dead-letters only deterministic failures, commits
 * only partitions it still owns and only after the effect, and survives broker
 * outages. docs/adr/0006-kafka-event-bus.md, docs/adr/0009-kafka-consumers-under-faults.md
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly topicAdmin: KafkaTopicAdmin;
  private readonly producer: KafkaEventProducer;
  private readonly prefix: string;
  private readonly log: BusLogger;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly dead: KafkaDeadLetterSink;
  private started: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.log = options.logger ?? consoleLogger;
    this.kafka = createKafkaClient(options);
    this.admin = this.kafka.admin();
    this.topicAdmin = new KafkaTopicAdmin(this.admin, {
      prefix: this.prefix,
      declarations: options.topics ?? loadTopicDeclarations(),
      replicationFactor: options.replicationFactor,
      defaultPartitions: options.defaultPartitions,
      log: this.log,
    });
    this.producer = new KafkaEventProducer(this.kafka, {
      ready: () => this.start(),
      ensureTopics: (topics) => this.topicAdmin.ensure(topics),
      topicName: (topic) => this.topicName(topic),
    });
    this.dead = new KafkaDeadLetterSink((topic, messages) => this.producer.send(topic, messages), this.prefix, this.log);
  }

  /**
   * Creates the bus and tries to connect it (topics, producer) for up to
   * startTimeoutMs. A broker that is down does not fail it: the bus connects on
   * first use, publish() rejects until then and subscriptions keep trying.
   */
  static async connect(options: KafkaEventBusOptions): Promise<KafkaEventBus> {
    const bus = new KafkaEventBus(options);
    let timer: NodeJS.Timeout | undefined;
    const started = bus.start().then(() => true, (err: unknown) => {
      if (!isTransientDependencyFailure(err)) throw err; // e.g. topics the cluster refuses: a configuration to fix
      bus.log.warn({ brokers: options.brokers, error: errorText(err) }, 'broker unreachable at start; the bus connects on first use');
      return true;
    });
    let inTime: boolean;
    try {
      inTime = await Promise.race([started, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), options.startTimeoutMs ?? 30_000)))]);
    } catch (err) {
      await bus.close().catch(() => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (!inTime) bus.log.warn({ brokers: options.brokers }, 'broker not answering at start; the bus connects on first use');
    return bus;
  }

  /** Idempotent: connects admin + producer and creates every declared topic that is missing; a failed start is tried again by the next call. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.admin.connect();
      await this.topicAdmin.ensure(this.topicAdmin.declaredTopics());
      await this.producer.connect();
      // close() gave up waiting for this start: do not leave connections behind.
      if (this.closed) await Promise.allSettled([this.producer.close(), this.admin.disconnect()]);
    })().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    });
    return this.started;
  }

  /** Readiness: the cluster answers a metadata request and every subscription is in its group. */
  async ping(): Promise<void> {
    await this.start();
    await this.admin.describeCluster();
    const out = [...this.subscriptions].filter((s) => !s.joined).map((s) => s.group);
    if (out.length > 0) throw new Error(`consumer groups not joined: ${out.join(', ')}`);
  }

  /** The prefixed topic name of an event family topic. */
  topicName(topic: string): string {
    return this.prefix + topic;
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    if (this.closed) throw new Error('KafkaEventBus is closed');
    if (events.length === 0) return;
    await this.producer.publish(events);
  }

  /**
   * Registers the subscription and resolves once its member joined the group,
   * or after joinTimeoutMs if it could not (broker down): it keeps trying in
   * the background and ping() reports it until it joined. Never rejects for an
   * unreachable broker.
   */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed || this.closing) throw new Error('KafkaEventBus is closed');
    const sub = new KafkaSubscription(options, {
      kafka: this.kafka,
      prefix: this.prefix,
      tuning: resolveTuning(this.options.consumer),
      retryBaseMs: this.options.retryBaseMs ?? 100,
      retryMaxMs: this.options.retryMaxMs ?? 30_000,
      closeTimeoutMs: this.options.closeTimeoutMs ?? 30_000,
      log: this.log,
      prepare: async (topics) => {
        await this.start();
        await this.topicAdmin.ensure(topics);
      },
      startAtEnd: (groupId, topics) => startNewGroupAtEnd(this.admin, groupId, topics, this.log),
      deadLetter: (group, refused, onDeadLetter) => this.dead.write(group, refused, onDeadLetter),
    });
    this.subscriptions.add(sub);
    await sub.start();
    return {
      close: async () => {
        await sub.close();
        this.subscriptions.delete(sub);
      },
    };
  }

  deadLetters(): readonly DeadLetter[] {
    return this.dead.letters;
  }

  /** Messages of `group` not yet committed on the given topics (default: the topics this bus subscribed it to, else all it has offsets for). */
  async consumerLag(group: string, topics?: readonly string[]): Promise<number> {
    await this.start();
    let names = topics?.map((t) => this.topicName(t));
    if (!names) {
      const subscribed = [...this.subscriptions].filter((s) => s.group === group).flatMap((s) => s.topics);
      names = subscribed.length > 0 ? [...new Set(subscribed)] : undefined;
    }
    return consumerLag(this.admin, this.prefix + group, names);
  }

  /** Stops every consumer (in-flight handlers finish first), flushes pending publishes, disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
      this.subscriptions.clear();
      this.closed = true;
      await this.producer.close();
      // A start still trying an unreachable broker is not waited for long; it disconnects itself.
      let timer: NodeJS.Timeout | undefined;
      if (this.started) await Promise.race([this.started.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
      await this.admin.disconnect().catch(() => {});
    })();
    return this.closing;
  }
}
