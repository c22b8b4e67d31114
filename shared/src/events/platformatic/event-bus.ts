import { Admin } from '@platformatic/kafka';
import type { DeadLetter, EventBus, SubscribeOptions, Subscription } from '../event-bus';
import type { EventEnvelope } from '../event-envelope';
import { errorText } from '../consumer-retry-policy';
import { KafkaDeadLetterSink } from '../dead-letter';
import { consoleLogger, resolveTuning, type BusLogger, type KafkaEventBusOptions } from '../kafka-options';
import { loadTopicDeclarations } from '../kafka-topics';
import { clientOptions, isTransientKafkaFailure } from './client';
import { platformaticConsumerLag } from './consumer-lag';
import { PlatformaticEventProducer } from './producer';
import { PlatformaticSubscription } from './subscription';
import { PlatformaticTopicAdmin } from './topic-admin';

/**
 * KafkaEventBus on @platformatic/kafka instead of kafkajs (KAFKA_CLIENT=platformatic):
 * the same topics and prefix, keys, headers and envelope encoding, group ids,
 * `fromLatest`, batch handling, retry and dead-letter policy, producer chunks
 * and per-key order — the kafkajs adapter's codec, dead-letter sink, batch
 * consumer, offset tracker and retry bookkeeping are imported, not copied.
 * Options are KafkaEventBusOptions (`logLevel`, a kafkajs setting, is ignored).
 * docs/adr/0013-kafka-client.md
 */
export class PlatformaticKafkaEventBus implements EventBus {
  private readonly admin: Admin;
  private readonly topicAdmin: PlatformaticTopicAdmin;
  private readonly producer: PlatformaticEventProducer;
  private readonly prefix: string;
  private readonly log: BusLogger;
  private readonly subscriptions = new Set<PlatformaticSubscription>();
  private readonly dead: KafkaDeadLetterSink;
  private started: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.log = options.logger ?? consoleLogger;
    this.admin = new Admin(clientOptions(options, 'admin'));
    this.topicAdmin = new PlatformaticTopicAdmin(this.admin, {
      prefix: this.prefix,
      declarations: options.topics ?? loadTopicDeclarations(),
      replicationFactor: options.replicationFactor,
      defaultPartitions: options.defaultPartitions,
      log: this.log,
    });
    this.producer = new PlatformaticEventProducer(options, {
      ready: () => this.start(),
      ensureTopics: (topics) => this.topicAdmin.ensure(topics),
      topicName: (topic) => this.topicName(topic),
    });
    this.dead = new KafkaDeadLetterSink((topic, messages) => this.producer.send(topic, messages), this.prefix, this.log);
  }

  /** As KafkaEventBus.connect: tries to connect for up to startTimeoutMs; an unreachable broker does not fail it. */
  static async connect(options: KafkaEventBusOptions): Promise<PlatformaticKafkaEventBus> {
    const bus = new PlatformaticKafkaEventBus(options);
    let timer: NodeJS.Timeout | undefined;
    const started = bus.start().then(() => true, (err: unknown) => {
      if (!isTransientKafkaFailure(err)) throw err; // e.g. topics the cluster refuses: a configuration to fix
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

  /** Idempotent: reaches the cluster, creates every declared topic that is missing, gets a producer id; a failed start is tried again by the next call. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.admin.metadata({ topics: [] });
      await this.topicAdmin.ensure(this.topicAdmin.declaredTopics());
      await this.producer.connect();
      if (this.closed) await Promise.allSettled([this.producer.close(), this.admin.close()]);
    })().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    });
    return this.started;
  }

  /** Readiness: the cluster answers a metadata request and every subscription is in its group. */
  async ping(): Promise<void> {
    await this.start();
    await this.admin.metadata({ topics: [], forceUpdate: true });
    const out = [...this.subscriptions].filter((s) => !s.joined).map((s) => s.group);
    if (out.length > 0) throw new Error(`consumer groups not joined: ${out.join(', ')}`);
  }

  topicName(topic: string): string {
    return this.prefix + topic;
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    if (this.closed) throw new Error('PlatformaticKafkaEventBus is closed');
    if (events.length === 0) return;
    await this.producer.publish(events);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed || this.closing) throw new Error('PlatformaticKafkaEventBus is closed');
    const sub = new PlatformaticSubscription(options, {
      options: this.options,
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

  async consumerLag(group: string, topics?: readonly string[]): Promise<number> {
    await this.start();
    let names = topics?.map((t) => this.topicName(t));
    if (!names) {
      const subscribed = [...this.subscriptions].filter((s) => s.group === group).flatMap((s) => s.topics);
      names = subscribed.length > 0 ? [...new Set(subscribed)] : undefined;
    }
    return platformaticConsumerLag(this.admin, this.prefix + group, names);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
      this.subscriptions.clear();
      this.closed = true;
      await this.producer.close();
      let timer: NodeJS.Timeout | undefined;
      if (this.started) await Promise.race([this.started.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
      await this.admin.close().catch(() => {});
    })();
    return this.closing;
  }
}
