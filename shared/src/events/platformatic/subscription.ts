import { Consumer, ListOffsetTimestamps, MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka';
import type { ConsumerGroupJoinPayload, MessagesStream } from '@platformatic/kafka';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { SubscribeOptions } from '../event-bus';
import { errorText, retryDelayMs } from '../consumer-retry-policy';
import type { Refused } from '../dead-letter';
import { consumeBatch, type BatchContext } from '../kafka-batch-consumer';
import { deferred, KafkaInFlight, waitAtMost } from '../kafka-in-flight';
import { KafkaOffsetTracker } from '../kafka-offset-tracker';
import type { BusLogger, KafkaEventBusOptions, ResolvedTuning } from '../kafka-options';
import { KafkaPartitionRetries } from '../kafka-partition-retries';
import { clientOptions } from './client';
import { commitOnceFor, type Membership } from './commit-once';
import { headerKeyToString, toKafkaMessage, type PlatformaticConsumed } from './messages';
import { PartitionQueue } from './partition-queue';

export interface PlatformaticSubscriptionDeps {
  readonly options: KafkaEventBusOptions;
  readonly prefix: string;
  readonly tuning: ResolvedTuning;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly closeTimeoutMs: number;
  readonly log: BusLogger;
  /** Connects the bus and creates the (prefixed) topics; rejects while the broker is unreachable. */
  readonly prepare: (topics: readonly string[]) => Promise<void>;
  readonly deadLetter: (group: string, refused: Refused, onDeadLetter: SubscribeOptions['onDeadLetter']) => Promise<void>;
}

type GroupConsumer = Consumer<Buffer | undefined, Buffer | undefined, string, Buffer | undefined>;
type Stream = MessagesStream<Buffer | undefined, Buffer | undefined, string, Buffer | undefined>;

/** Bytes held in all partition queues of a member (of partitions not paused) at which the fetch stream is paused. */
const STREAM_PAUSE_BYTES = 8 * 1024 * 1024;

/** One consumer (one group member) of the member loop; a crash or a give-up ends it. */
interface Run {
  readonly consumer: GroupConsumer;
  stream: Stream | undefined;
  alive: boolean;
  readonly crash: (err: Error) => void;
  readonly crashed: Promise<Error>;
  membership: Membership | undefined;
  watchdog: NodeJS.Timeout | undefined;
}

/**
 * KafkaSubscription on @platformatic/kafka: one member of a consumer group,
 * restarted after a backoff whenever its consumer cannot start or fails, for
 * as long as it is not closed. The policy is the kafkajs adapter's own code —
 * `consumeBatch` (batch handler, per-event fallback, dead letters, transient
 * retries with the partition paused), KafkaOffsetTracker (commit only owned
 * partitions, only after the effect) and KafkaPartitionRetries — driven by
 * per-partition queues (`PartitionQueue`) fed from the client's single fetch
 * stream, since that client has no per-partition pause, no seek and no batch
 * callback of its own. Differences that matter, handled here:
 * - the client heartbeats and rejoins on its own, whatever the handlers do; a
 *   member still inside a handler of a partition it owns again
 *   `rebalanceTimeout` after a rejoin leaves its group (kafkajs could not rejoin
 *   in that state, so the coordinator dropped it) and comes back once that
 *   handler returned, so a stuck handler does not keep its partitions;
 * - where a partition starts after each join is decided here (committed offset,
 *   else the oldest or, `fromLatest`, the newest; a committed offset the log no
 *   longer holds counts as none) and the stream is moved there;
 * - commits go out once, with the generation of the assignment they belong to
 *   (`commitOnceFor`).
 */
export class PlatformaticSubscription {
  readonly topics: readonly string[];
  private run: Run | undefined;
  private joinedNow = false;
  private failures = 0;
  private closing = false;
  private readonly stopped = deferred();
  private readonly firstJoin = deferred();
  private readonly inFlight = new KafkaInFlight();
  private readonly tracker: KafkaOffsetTracker;
  private readonly retries: KafkaPartitionRetries;
  private readonly batch: BatchContext;
  private readonly partitions = new Map<string, PartitionQueue>();
  private readonly ready: PartitionQueue[] = [];
  private running = 0;
  private pumpPending = false;
  private streamPaused = false;
  /** Bytes in all partition queues. */
  private queuedBytes = 0;
  private commitTimer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;

  constructor(private readonly options: SubscribeOptions, private readonly d: PlatformaticSubscriptionDeps) {
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

  get joined(): boolean {
    return this.joinedNow;
  }

  /** Starts the member; resolves once it joined and knows where each partition starts, or after joinTimeoutMs. Never rejects. */
  async start(): Promise<void> {
    this.runMember().catch((err: unknown) => this.d.log.warn({ group: this.group, error: errorText(err) }, 'member loop ended unexpectedly'));
    this.commitTimer = setInterval(() => void this.tracker.commit(), this.d.tuning.commitIntervalMs);
    this.commitTimer.unref();
    await waitAtMost(this.d.tuning.joinTimeoutMs, this.firstJoin.promise);
    if (!this.joinedNow && !this.closing) {
      this.d.log.warn({ group: this.group, waitedMs: this.d.tuning.joinTimeoutMs }, 'subscribe: not joined yet; the member keeps trying in the background');
    }
  }

  // ---- the member loop ----

  private async runMember(): Promise<void> {
    while (!this.closing) {
      let run: Run | undefined;
      try {
        await this.d.prepare(this.topics);
        if (this.closing) return;
        run = this.newRun();
        this.run = run;
        const stream = (await run.consumer.consume({
          topics: [...this.topics],
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: this.options.fromLatest ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
          autocommit: false,
        })) as Stream;
        run.stream = stream;
        if (this.closing || !run.alive) {
          await this.dispose(run);
          if (this.closing) return;
          throw await run.crashed;
        }
        stream.on('data', (m: PlatformaticConsumed) => this.onMessage(run!, m));
        stream.on('error', (err: Error) => run!.crash(err));
        stream.on('close', () => run!.crash(new Error('fetch stream closed')));
        // The stream sets its own positions after each join; ours (startAt) win.
        stream.on('offsets', () => this.seekAll(run!));
        this.seekAll(run);
        const error = await Promise.race([run.crashed, this.stopped.promise.then(() => undefined)]);
        if (this.closing) return; // close() commits what was handled, then closes the consumer
        throw error;
      } catch (err) {
        if (this.closing) return;
        if (run) run.alive = false;
        this.onLost();
        this.failures++;
        const delay = retryDelayMs(this.failures, this.d.tuning.restartBaseMs, this.d.tuning.restartMaxMs);
        this.d.log.warn({ group: this.group, error: errorText(err), failures: this.failures, retryInMs: delay }, 'consumer stopped (broker unreachable?); retrying');
        if (run) await this.dispose(run);
        // As with kafkajs, a member rejoins only after the handlers in hand returned (close() can still end the wait).
        await Promise.race([this.handlersIdle(), this.stopped.promise]);
        await waitAtMost(delay, this.stopped.promise);
      }
    }
  }

  private newRun(): Run {
    const t = this.d.tuning;
    const consumer: GroupConsumer = new Consumer({
      ...clientOptions(this.d.options, 'consumer'),
      // Groups share the topic prefix, so deployments on one broker never split each other's partitions.
      groupId: this.d.prefix + this.group,
      sessionTimeout: t.sessionTimeout,
      // The client refuses a rebalance timeout below the session timeout (Kafka does not); the stuck-handler
      // watchdog (checkStuck) still uses the configured one.
      rebalanceTimeout: Math.max(t.rebalanceTimeout, t.sessionTimeout),
      heartbeatInterval: t.heartbeatInterval,
      maxWaitTime: t.maxWaitTimeInMs,
      minBytes: 1,
      maxBytes: 10 * 1024 * 1024,
      maxBytesPerPartition: 1024 * 1024,
      autocommit: false,
      deserializers: { headerKey: headerKeyToString },
    });
    let crash!: (err: Error) => void;
    const crashed = new Promise<Error>((resolve) => (crash = resolve));
    const run: Run = { consumer, stream: undefined, alive: true, crash: (err) => ((run.alive = false), crash(err)), crashed, membership: undefined, watchdog: undefined };
    // A rejoin that failed for good is reported as 'error'; it ends this run (a fresh consumer follows).
    consumer.on('error', (err: Error) => run.crash(err));
    consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => this.onJoin(run, payload));
    // A rebalance started: commit what was handled while this generation still holds (fewer re-deliveries).
    consumer.on('consumer:group:rebalance', () => void (run.alive && this.tracker.commit()));
    return run;
  }

  /** Closes a run's stream and consumer (leaving the group), bounded: a broker that is gone must not hold the caller. */
  private async dispose(run: Run): Promise<void> {
    run.alive = false;
    clearTimeout(run.watchdog);
    const closing = (async () => {
      await run.stream?.close().catch(() => {});
      await new Promise<void>((resolve) => run.consumer.close(true, () => resolve()));
    })();
    await waitAtMost(5_000, closing);
  }

  // ---- assignment ----

  /** A join (first or after a rebalance): a new epoch; every partition starts again from its committed offset. */
  private onJoin(run: Run, payload: ConsumerGroupJoinPayload): void {
    if (!run.alive) return;
    const assignment: Record<string, number[]> = {};
    for (const a of payload.assignments ?? []) assignment[a.topic] = [...a.partitions];
    run.membership = { groupId: run.consumer.groupId, generationId: payload.generationId ?? run.consumer.generationId, memberId: payload.memberId };
    this.tracker.assigned(assignment);
    const epoch = this.tracker.epoch;
    try {
      this.retries.keepOnly((topic, partition) => this.tracker.owns(topic, partition));
    } catch {
      // a logger that throws changes nothing here
    }
    const owned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    for (const q of this.partitions.values()) q.reset(owned.has(q.key));
    for (const [topic, ps] of Object.entries(assignment)) {
      for (const p of ps) if (!this.partitions.has(`${topic}:${p}`)) this.partitions.set(`${topic}:${p}`, new PartitionQueue(topic, p));
      for (const p of ps) this.partitions.get(`${topic}:${p}`)!.reset(true);
    }
    this.ready.length = 0;
    this.queuedBytes = 0;
    for (const q of this.partitions.values()) q.scheduled = false;
    this.updateStreamPause(run);
    void this.startPositions(run, epoch, assignment);
    // A handler of the previous assignment still running on a partition that is ours again holds it back.
    clearTimeout(run.watchdog);
    if ([...this.partitions.values()].some((q) => q.owned && q.busy && q.busyEpoch < epoch)) {
      run.watchdog = setTimeout(() => this.checkStuck(run, epoch), this.d.tuning.rebalanceTimeout);
      run.watchdog.unref();
    }
  }

  /** Where each assigned partition starts: the committed offset, else the oldest (newest with fromLatest) the log holds. */
  private async startPositions(run: Run, epoch: number, assignment: Record<string, number[]>): Promise<void> {
    const topics = Object.keys(assignment).filter((t) => assignment[t]!.length > 0);
    try {
      let starts: Map<string, bigint> | undefined;
      for (let attempt = 1; !starts; attempt++) {
        try {
          starts = await this.computeStarts(run, topics, assignment);
        } catch (err) {
          if (attempt >= 5 || !run.alive || this.tracker.epoch !== epoch) throw err;
          await waitAtMost(200 * attempt, this.stopped.promise);
        }
      }
      if (!run.alive || this.tracker.epoch !== epoch) return;
      for (const [key, offset] of starts) this.partitions.get(key)?.startAt(offset);
      this.seekAll(run);
      this.joinedNow = true;
      if (this.failures > 0) this.d.log.warn({ group: this.group, failures: this.failures }, 'consumer joined its group again');
      this.failures = 0;
      this.firstJoin.resolve();
    } catch (err) {
      if (run.alive && this.tracker.epoch === epoch) run.crash(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async computeStarts(run: Run, topics: string[], assignment: Record<string, number[]>): Promise<Map<string, bigint>> {
    const starts = new Map<string, bigint>();
    if (topics.length === 0) return starts;
    const [committed, earliest, latest] = await Promise.all([
      run.consumer.listCommittedOffsets({ topics: topics.map((topic) => ({ topic, partitions: assignment[topic]! })) }),
      run.consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.EARLIEST }),
      run.consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.LATEST }),
    ]);
    for (const topic of topics) {
      for (const p of assignment[topic]!) {
        const low = earliest.get(topic)?.[p] ?? 0n;
        const high = latest.get(topic)?.[p] ?? low;
        const c = committed.get(topic)?.[p] ?? -1n;
        const fallback = this.options.fromLatest ? high : low;
        starts.set(`${topic}:${p}`, c >= 0n && c >= low && c <= high ? c : fallback);
      }
    }
    return starts;
  }

  private checkStuck(run: Run, epoch: number): void {
    if (!run.alive || this.closing || this.tracker.epoch !== epoch) return;
    const stuck = [...this.partitions.values()].filter((q) => q.owned && q.busy && q.busyEpoch < epoch).map((q) => q.key);
    if (stuck.length === 0) return;
    this.d.log.warn({ group: this.group, partitions: stuck, waitedMs: this.d.tuning.rebalanceTimeout }, 'handler still running after a rebalance: leaving the group until it returns');
    run.crash(new Error(`handler of ${stuck.join(', ')} still running ${this.d.tuning.rebalanceTimeout}ms after a rebalance`));
  }

  private onLost(): void {
    this.joinedNow = false;
    this.tracker.lost();
    this.retries.clear();
    for (const q of this.partitions.values()) {
      q.reset(false);
      q.paused = false;
      q.scheduled = false;
    }
    this.ready.length = 0;
    this.queuedBytes = 0;
    this.streamPaused = false;
  }

  // ---- intake ----

  private onMessage(run: Run, m: PlatformaticConsumed): void {
    if (!run.alive) return;
    const q = this.partitions.get(`${m.topic}:${m.partition}`);
    if (!q) return;
    const verdict = q.verdict(m.offset);
    if (verdict === 'take') {
      this.queuedBytes += q.push(m.offset, toKafkaMessage(m));
      this.schedule(q);
      if (!this.streamPaused && this.queuedBytes >= STREAM_PAUSE_BYTES) this.updateStreamPause(run);
    } else if (verdict === 'seek' && q.hasRoom) {
      this.seek(run, q);
    }
  }

  private seek(run: Run, q: PartitionQueue): void {
    if (!run.stream || q.expected === undefined || !q.needSeek) return;
    run.stream.offsetsToFetch.set(q.key, q.expected);
  }

  private seekAll(run: Run): void {
    for (const q of this.partitions.values()) if (q.owned && q.needSeek && q.hasRoom) this.seek(run, q);
  }

  /** Pauses the fetch stream while the queues of partitions that can make progress hold too much; resumes below half. */
  private updateStreamPause(run: Run): void {
    const stream = run.stream;
    if (!stream || !run.alive) return;
    let bytes = this.queuedBytes;
    if (bytes >= STREAM_PAUSE_BYTES / 2) for (const q of this.partitions.values()) if (q.paused) bytes -= q.bytes;
    if (!this.streamPaused && bytes >= STREAM_PAUSE_BYTES) {
      this.streamPaused = true;
      stream.pause();
    } else if (this.streamPaused && bytes < STREAM_PAUSE_BYTES / 2) {
      this.streamPaused = false;
      stream.resume();
    }
  }

  // ---- handling ----

  private schedule(q: PartitionQueue): void {
    if (q.scheduled || q.busy || q.paused || !q.owned || q.length === 0 || this.closing) return;
    q.scheduled = true;
    this.ready.push(q);
    if (!this.pumpPending) {
      this.pumpPending = true;
      // After the current fetch response is queued whole, so a batch holds all of it.
      setImmediate(() => {
        this.pumpPending = false;
        this.pump();
      });
    }
  }

  private pump(): void {
    while (this.running < (this.options.partitionsConcurrently ?? this.d.tuning.partitionsConsumedConcurrently) && this.ready.length > 0 && !this.closing) {
      const q = this.ready.shift()!;
      q.scheduled = false;
      if (q.busy || q.paused || !q.owned || q.length === 0) continue;
      const run = this.run;
      if (!run?.alive) return;
      void this.handle(run, q);
    }
  }

  /** One batch of one partition through the kafkajs adapter's consumeBatch. */
  private async handle(run: Run, q: PartitionQueue): Promise<void> {
    const epoch = this.tracker.epoch;
    const generation = q.generation;
    const messages = q.batch();
    const membership = run.membership;
    let resolved: string | undefined;
    q.busy = true;
    q.busyEpoch = epoch;
    this.running++;
    // The part of kafkajs's EachBatchPayload that consumeBatch uses.
    const payload = {
      batch: { topic: q.topic, partition: q.partition, messages },
      resolveOffset: (offset: string) => void (resolved = offset),
      heartbeat: async () => {}, // the client heartbeats on its own
      pause: () => {
        q.paused = true;
        const token = ++q.pauseToken;
        return () => this.resume(q, token);
      },
      commitOffsetsIfNecessary: membership ? commitOnceFor(run.consumer, membership) : async () => {},
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => run.alive && !this.closing,
      isStale: () => this.tracker.epoch !== epoch,
    } satisfies Omit<EachBatchPayload, 'batch'> & { batch: { topic: string; partition: number; messages: KafkaMessage[] } };
    try {
      await this.inFlight.track(consumeBatch(this.batch, payload as unknown as EachBatchPayload));
    } catch (err) {
      this.d.log.warn({ group: this.group, topic: q.topic, partition: q.partition, error: errorText(err) }, 'batch ended with an error; the partition is handled again');
    } finally {
      q.busy = false;
      this.running--;
    }
    if (q.generation === generation && resolved !== undefined) this.queuedBytes -= q.dropThrough(BigInt(resolved));
    if (this.run === run && run.alive) {
      if (q.needSeek && q.hasRoom) this.seek(run, q);
      if (this.streamPaused) this.updateStreamPause(run);
    }
    // Progress, or a queue that was reset meanwhile: go on. Otherwise (closing, stale, paused) a later event resumes it.
    if (resolved !== undefined || q.generation !== generation) this.schedule(q);
    this.pump();
    if (this.idleWaiters.length > 0 && this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private resume(q: PartitionQueue, token: number): void {
    if (!q.paused || q.pauseToken !== token) return;
    q.paused = false;
    const run = this.run;
    if (run?.alive) {
      if (q.needSeek && q.hasRoom) this.seek(run, q);
      this.updateStreamPause(run);
    }
    this.schedule(q);
  }

  private readonly idleWaiters: (() => void)[] = [];

  /** Resolves once no batch is being handled. */
  private handlersIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise<void>((r) => this.idleWaiters.push(r));
  }

  // ---- close ----

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
      const run = this.run;
      if (run) await this.dispose(run);
      this.onLost();
    })();
    return this.closed;
  }
}
