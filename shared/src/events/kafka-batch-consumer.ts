import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { BatchHandler, EventHandler } from './event-bus';
import type { EventEnvelope } from './event-envelope';
import { classifyFailure, errorText } from './consumer-retry-policy';
import type { Refused } from './dead-letter';
import { decodeEnvelope, headerString, HEADER_REPLAY_GROUP, placeholderEnvelope } from './kafka-message-codec';
import type { CommitOnce, KafkaOffsetTracker } from './kafka-offset-tracker';
import { generationOver, rebalancing } from './kafka-offset-tracker';
import type { BusLogger } from './kafka-options';
import type { KafkaPartitionRetries } from './kafka-partition-retries';

/** What one subscription's batches need. */
export interface BatchContext {
  /** The group without the bus's prefix. */
  readonly group: string;
  readonly handler: EventHandler;
  /** Optional: the whole partition batch at once (SubscribeOptions.handleBatch); `handler` is the fallback. */
  readonly handleBatch?: BatchHandler;
  readonly tracker: KafkaOffsetTracker;
  readonly retries: KafkaPartitionRetries;
  readonly heartbeatEveryMs: number;
  /** SubscribeOptions.lingerMs (0: none). */
  readonly lingerMs: number;
  readonly log: BusLogger;
  isClosing(): boolean;
  /** close() gave up waiting: whatever finishes now must not be committed. */
  isAbandoned(): boolean;
  /** Writes to `<topic>.dlq`; rejects if it could not (then the message is retried). */
  deadLetter(refused: Refused): Promise<void>;
  onRetry(topic: string, failures: number, failingForMs: number, error: string): void;
}

type Outcome =
  | { readonly kind: 'handled' | 'abandoned' }
  | { readonly kind: 'retry'; readonly error: string; readonly reason: string; readonly id?: string };

/**
 * One partition's batch, in offset order: handle a message, mark its offset + 1
 * as handled (the tracker commits it while the partition is still ours), move
 * on. A transient failure pauses the partition and leaves the message
 * unresolved, so it is fetched again after the backoff and nothing after it is
 * handled first. A closing subscription stops between messages.
 */
export async function consumeBatch(ctx: BatchContext, payload: EachBatchPayload): Promise<void> {
  const { topic, partition, messages } = payload.batch;
  const epoch = ctx.tracker.epoch;
  const commitOnce: CommitOnce = (offsets) => payload.commitOffsetsIfNecessary(offsets);
  // Far below the session timeout: no heartbeat is missed. The checks below see a close that came meanwhile.
  if (ctx.lingerMs > 0 && messages.length > 0 && !ctx.isClosing()) await new Promise((resolve) => setTimeout(resolve, ctx.lingerMs));
  if (ctx.handleBatch && messages.length > 0) {
    if (ctx.isClosing() || !payload.isRunning() || payload.isStale() || !ctx.tracker.owns(topic, partition, epoch)) return;
    const handleBatch = ctx.handleBatch;
    const outcome = await withHeartbeat(ctx, payload, () => handleWholeBatch(ctx, topic, partition, messages, handleBatch));
    if (outcome.kind === 'abandoned' || ctx.isAbandoned()) return;
    if (outcome.kind === 'retry') return retryLater(ctx, payload, topic, partition, messages[0]!.offset, outcome);
    if (outcome.kind === 'handled') {
      const last = messages[messages.length - 1]!.offset;
      payload.resolveOffset(last);
      ctx.tracker.handled(topic, partition, (BigInt(last) + 1n).toString(), epoch, commitOnce);
      await heartbeat(ctx, payload);
      return;
    }
    // 'per-event': the batch handler failed deterministically; isolate the culprit below, one event at a time.
  }
  for (const message of messages) {
    if (ctx.isClosing() || !payload.isRunning() || payload.isStale() || !ctx.tracker.owns(topic, partition, epoch)) return;
    const outcome = await withHeartbeat(ctx, payload, () => handleMessage(ctx, topic, partition, message));
    if (outcome.kind === 'abandoned' || ctx.isAbandoned()) return;
    if (outcome.kind === 'retry') return retryLater(ctx, payload, topic, partition, message.offset, outcome);
    payload.resolveOffset(message.offset);
    ctx.tracker.handled(topic, partition, (BigInt(message.offset) + 1n).toString(), epoch, commitOnce);
    await heartbeat(ctx, payload);
  }
}

/** A transient failure at `offset`: pause the partition; it is fetched again from there after the backoff. */
function retryLater(ctx: BatchContext, payload: EachBatchPayload, topic: string, partition: number, offset: string, outcome: Extract<Outcome, { kind: 'retry' }>): void {
  const f = ctx.retries.failed(topic, partition, offset);
  ctx.onRetry(topic, f.failures, f.failingForMs, outcome.error);
  // Every failure is retried; the log says so at 1, 2, 4, 8, … failures and then every 20th.
  if ((f.failures & (f.failures - 1)) === 0 || f.failures % 20 === 0) {
    ctx.log.warn(
      { group: ctx.group, topic, partition, offset, id: outcome.id, failures: f.failures, failingForMs: f.failingForMs, retryInMs: f.delayMs, reason: outcome.reason, error: outcome.error },
      'handler failed transiently; partition paused, retrying with backoff',
    );
  }
  ctx.retries.paused(topic, partition, f.delayMs, payload.pause());
}

/**
 * The batch handler over a partition's whole batch: undecodable messages and the
 * failures it returns are dead-lettered alone, in offset order; then the batch is
 * handled (its last offset committed). A transient failure (thrown, returned, or a
 * dead-letter write) retries the whole batch; a deterministic throw falls back to
 * the per-event handler.
 */
async function handleWholeBatch(
  ctx: BatchContext,
  topic: string,
  partition: number,
  messages: readonly KafkaMessage[],
  handleBatch: BatchHandler,
): Promise<Outcome | { readonly kind: 'per-event' }> {
  const refused = new Map<KafkaMessage, { event: EventEnvelope; error: unknown }>();
  const events: EventEnvelope[] = [];
  const messageOf = new Map<EventEnvelope, KafkaMessage>();
  for (const message of messages) {
    // A replayed dead letter is for the group that refused it; the others handled the original.
    const replayFor = headerString(message.headers?.[HEADER_REPLAY_GROUP]);
    if (replayFor !== undefined && replayFor !== ctx.group) continue;
    try {
      const event = decodeEnvelope(message);
      events.push(event);
      messageOf.set(event, message);
    } catch (err) {
      refused.set(message, { event: placeholderEnvelope(topic, partition, message), error: err });
    }
  }
  let failures: readonly { event: EventEnvelope; error: unknown }[] = [];
  try {
    if (events.length > 0) failures = (await handleBatch(events)) ?? [];
  } catch (err) {
    if (ctx.isClosing()) return { kind: 'abandoned' };
    if (classifyFailure(err).kind === 'deterministic') return { kind: 'per-event' };
    return { kind: 'retry', error: errorText(err), reason: classifyFailure(err).reason, id: events[0]?.id };
  }
  for (const f of failures) {
    // By identity; by id if the handler returned a copy.
    const same = messageOf.has(f.event) ? f.event : events.find((e) => e.id === f.event.id);
    const message = same && messageOf.get(same);
    const cls = classifyFailure(f.error);
    if (!message || cls.kind !== 'deterministic') return { kind: 'retry', error: errorText(f.error), reason: cls.reason, id: f.event.id };
    refused.set(message, { event: f.event, error: f.error });
  }
  // Stopping: do not dead-letter now; the group's next member handles the batch again (as handleMessage does).
  if (refused.size > 0 && ctx.isClosing()) return { kind: 'abandoned' };
  for (const message of messages) {
    const r = refused.get(message);
    if (!r) continue;
    const error = errorText(r.error);
    try {
      await ctx.deadLetter({ topic, partition, message, event: r.event, error });
    } catch (dlqError) {
      return { kind: 'retry', error: `dead-letter write failed: ${errorText(dlqError)} (for ${error})`, reason: 'dead-letter-write', id: r.event.id };
    }
  }
  ctx.retries.succeeded(topic, partition);
  return { kind: 'handled' };
}

async function handleMessage(ctx: BatchContext, topic: string, partition: number, message: KafkaMessage): Promise<Outcome> {
  // A replayed dead letter is for the group that refused it; the others handled the original.
  const replayFor = headerString(message.headers?.[HEADER_REPLAY_GROUP]);
  if (replayFor !== undefined && replayFor !== ctx.group) return { kind: 'handled' };
  let event: EventEnvelope | undefined;
  let failure: unknown;
  try {
    event = decodeEnvelope(message);
    await ctx.handler(event);
    ctx.retries.succeeded(topic, partition);
    return { kind: 'handled' };
  } catch (err) {
    failure = err;
  }
  // Stopping: leave the event uncommitted; the group's next member handles it again.
  if (ctx.isClosing()) return { kind: 'abandoned' };
  const error = errorText(failure);
  const cls = classifyFailure(failure);
  if (cls.kind === 'deterministic') {
    try {
      await ctx.deadLetter({ topic, partition, message, event: event ?? placeholderEnvelope(topic, partition, message), error });
      ctx.retries.succeeded(topic, partition);
      return { kind: 'handled' };
    } catch (dlqError) {
      return { kind: 'retry', error: `dead-letter write failed: ${errorText(dlqError)} (for ${error})`, reason: 'dead-letter-write', id: event?.id };
    }
  }
  return { kind: 'retry', error, reason: cls.reason, id: event?.id };
}

async function heartbeat(ctx: BatchContext, payload: EachBatchPayload): Promise<void> {
  try {
    await payload.heartbeat();
  } catch (err) {
    // Out of the generation: nothing of it may be committed any more. A rebalance: still ours until
    // we rejoin, so commit what was handled first (fewer re-deliveries). kafkajs rejoins on the rethrow.
    if (generationOver(err)) ctx.tracker.lost();
    else if (rebalancing(err)) await ctx.tracker.commit();
    throw err;
  }
}

/** Keeps the member alive while a slow handler runs, so it is not evicted from the group. */
async function withHeartbeat<T>(ctx: BatchContext, payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    if (ctx.isAbandoned()) return;
    // A rebalance error surfaces again from the heartbeat after the message.
    payload.heartbeat().catch((err: unknown) => {
      if (generationOver(err)) ctx.tracker.lost();
    });
  }, ctx.heartbeatEveryMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
