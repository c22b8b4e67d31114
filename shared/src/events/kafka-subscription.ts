import type { Consumer, ConsumerCrashEvent, ConsumerGroupJoinEvent, Kafka } from 'kafkajs';
import type { SubscribeOptions } from './event-bus';
import { errorText, retryDelayMs } from './consumer-retry-policy';
import type { Refused } from './dead-letter';
import { consumeBatch, type BatchContext } from './kafka-batch-consumer';
import { deferred, KafkaInFlight, waitAtMost } from './kafka-in-flight';
import { KafkaOffsetTracker } from './kafka-offset-tracker';
import type { BusLogger, ResolvedTuning } from './kafka-options';
import { KafkaPartitionRetries } from './kafka-partition-retries';

export interface SubscriptionDeps {
  readonly kafka: Kafka;
  readonly prefix: string;
  readonly tuning: ResolvedTuning;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly closeTimeoutMs: number;
  readonly log: BusLogger;
  /** Connects the bus and creates the (prefixed) topics; rejects while the broker is unreachable. */
  readonly prepare: (topics: readonly string[]) => Promise<void>;
  /** Commits the end of the topics as a new group's start (fromLatest; kafkajs would look it up too late). */
  readonly startAtEnd: (groupId: string, topics: readonly string[]) => Promise<void>;
  readonly deadLetter: (group: string, refused: Refused, onDeadLetter: SubscribeOptions['onDeadLetter']) => Promise<void>;
}

/**
 * One subscription = one member of a consumer group, for as long as it is not
 * closed: if it cannot start (broker unreachable) or its kafkajs consumer
 * crashes, a fresh consumer is started after a backoff (capped), forever; a
 * broker outage delays delivery and nothing else. Offsets go through a
 * KafkaOffsetTracker (only owned partitions, only after the effect), failed
 * events through KafkaPartitionRetries (partition paused while backing off).
 */
export class KafkaSubscription {
  readonly topics: readonly string[];
  private consumer: Consumer | undefined;
  private joinedNow = false;
  /** Runs in a row that ended without a join (drives the restart backoff). */
  private failures = 0;
  private closing = false;
  private readonly stopped = deferred();
  private readonly firstJoin = deferred();
  private readonly inFlight = new KafkaInFlight();
  private readonly tracker: KafkaOffsetTracker;
  private readonly retries: KafkaPartitionRetries;
  private readonly batch: BatchContext;
  private commitTimer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;

  constructor(private readonly options: SubscribeOptions, private readonly d: SubscriptionDeps) {
    this.topics = options.topics.map((t) => d.prefix + t);
    this.tracker = new KafkaOffsetTracker((err, dropped) =>
      d.log.warn({ group: options.group, error: errorText(err), dropped }, dropped ? 'offset commit refused: generation over, dropped' : 'offset commit failed; will retry'),
    );
    this.retries = new KafkaPartitionRetries(d.retryBaseMs, d.retryMaxMs);
    this.batch = {
      group: options.group,
      handler: options.handler,
      handleBatch: options.handleBatch,
      tracker: this.tracker,
      retries: this.retries,
      heartbeatEveryMs: Math.max(100, Math.floor(d.tuning.heartbeatInterval / 2)),
      lingerMs: options.lingerMs ?? 0,
      log: d.log,
      isClosing: () => this.closing,
      isAbandoned: () => this.inFlight.abandoned,
      deadLetter: (refused) => d.deadLetter(options.group, refused, options.onDeadLetter),
      onRetry: (topic, attempts, failingForMs, error) =>
        options.onRetry?.({ group: options.group, topic: topic.slice(d.prefix.length), attempts, failingForMs, error }),
    };
  }

  get group(): string {
    return this.options.group;
  }

  /** In its group with an assignment now (readiness). */
  get joined(): boolean {
    return this.joinedNow;
  }

  /**
   * Starts the member; resolves once it joined (events published from then on
   * are not missed) or after joinTimeoutMs, when it keeps trying in the
   * background. Never rejects.
   */
  async start(): Promise<void> {
    this.runMember().catch((err: unknown) => this.d.log.warn({ group: this.group, error: errorText(err) }, 'member loop ended unexpectedly'));
    this.commitTimer = setInterval(() => void this.tracker.commit(), this.d.tuning.commitIntervalMs);
    this.commitTimer.unref();
    await waitAtMost(this.d.tuning.joinTimeoutMs, this.firstJoin.promise);
    if (!this.joinedNow && !this.closing) {
      this.d.log.warn({ group: this.group, waitedMs: this.d.tuning.joinTimeoutMs }, 'subscribe: not joined yet; the member keeps trying in the background');
    }
  }

  /** The member loop: a consumer per run; a run ends when it crashed (or could not start), then a backoff. */
  private async runMember(): Promise<void> {
    while (!this.closing) {
      try {
        await this.d.prepare(this.topics);
        if (this.options.fromLatest) await this.d.startAtEnd(this.d.prefix + this.group, this.topics);
        if (this.closing) return;
        const consumer = this.createConsumer();
        this.consumer = consumer;
        const crashed = new Promise<Error>((resolve) => {
          consumer.on(consumer.events.CRASH, (e: ConsumerCrashEvent) => resolve(e.payload.error));
        });
        consumer.on(consumer.events.GROUP_JOIN, (e: ConsumerGroupJoinEvent) => this.onJoin(e.payload.memberAssignment));
        // close() may come at any await; before run() nothing was handled, so disconnecting here is enough.
        const closedMeanwhile = async () => this.closing && (await consumer.disconnect().catch(() => {}), true);
        await consumer.connect();
        if (await closedMeanwhile()) return;
        // New groups start at the beginning (or the end: fromLatest); existing groups resume after their committed offsets.
        await consumer.subscribe({ topics: [...this.topics], fromBeginning: !this.options.fromLatest });
        if (await closedMeanwhile()) return;
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? this.d.tuning.partitionsConsumedConcurrently,
          // kafkajs's disconnect waits for eachBatch; giveUp lets a close() that timed out leave anyway.
          eachBatch: (payload) => Promise.race([this.inFlight.track(consumeBatch(this.batch, payload)), this.inFlight.giveUp]),
        });
        const error = await Promise.race([crashed, this.stopped.promise.then(() => undefined)]);
        if (this.closing) return; // close() commits what was handled, then disconnects
        throw error;
      } catch (err) {
        if (this.closing) return;
        this.onLost();
        this.failures++;
        const delay = retryDelayMs(this.failures, this.d.tuning.restartBaseMs, this.d.tuning.restartMaxMs);
        this.d.log.warn({ group: this.group, error: errorText(err), failures: this.failures, retryInMs: delay }, 'consumer stopped (broker unreachable?); retrying');
        await this.consumer?.disconnect().catch(() => {});
        await waitAtMost(delay, this.stopped.promise);
      }
    }
  }

  private createConsumer(): Consumer {
    const t = this.d.tuning;
    return this.d.kafka.consumer({
      // Groups share the topic prefix, so deployments on one broker never split each other's partitions.
      groupId: this.d.prefix + this.group,
      sessionTimeout: t.sessionTimeout,
      rebalanceTimeout: t.rebalanceTimeout,
      heartbeatInterval: t.heartbeatInterval,
      maxWaitTimeInMs: t.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts itself only after retriable errors; runMember restarts after any crash, with a fresh consumer.
      retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8, restartOnFailure: async () => false },
    });
  }

  /** Runs inside kafkajs's join (a throw would fail it), so it cannot throw. */
  private onJoin(assignment: Record<string, number[]>): void {
    this.tracker.assigned(assignment);
    this.joinedNow = true;
    this.firstJoin.resolve();
    try {
      this.retries.keepOnly((topic, partition) => this.tracker.owns(topic, partition));
      if (this.failures > 0) this.d.log.warn({ group: this.group, failures: this.failures }, 'consumer joined its group again');
    } catch {
      // a logger that throws changes nothing here
    }
    this.failures = 0;
  }

  private onLost(): void {
    this.joinedNow = false;
    this.tracker.lost();
    this.retries.clear();
  }

  /** Stops between messages: the handler in hand finishes and is committed, then the member leaves (bounded by closeTimeoutMs). */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      this.stopped.resolve();
      this.retries.clear();
      if (!(await this.inFlight.drain(this.d.closeTimeoutMs))) {
        this.d.log.warn({ group: this.group }, 'close: handler still running after closeTimeoutMs; leaving it uncommitted');
      }
      clearInterval(this.commitTimer);
      await this.tracker.commit();
      await this.consumer?.disconnect().catch((err: unknown) => {
        this.d.log.warn({ group: this.group, error: errorText(err) }, 'consumer disconnect failed');
      });
      this.onLost();
    })();
    return this.closed;
  }
}
