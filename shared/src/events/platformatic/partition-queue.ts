import type { KafkaMessage } from 'kafkajs';

/** Bytes of messages one partition may hold in memory; past it, newer ones are dropped and fetched again later. */
export const PARTITION_QUEUE_BYTES = 2 * 1024 * 1024;
/** Bytes of one batch handed to the batch consumer: kafkajs's `maxBytesPerPartition`, one partition's share of a fetch. */
export const BATCH_BYTES = 1024 * 1024;

const sizeOf = (m: KafkaMessage) => (m.value?.length ?? 0) + (m.key?.length ?? 0);

/**
 * What this member holds of one partition: the messages fetched and not yet
 * handled, in offset order, and where the next one must start. The fetch
 * stream of @platformatic/kafka has no per-partition pause or seek, and it
 * moves its own position on as soon as a response arrives; this queue is what
 * makes per-partition order, pauses and backpressure exact on top of it:
 * - only the message at `expected` is taken; an older one is a duplicate
 *   (dropped), a newer one means messages were skipped (the stream moved on
 *   while this queue was full, or a response in flight overwrote a seek), so
 *   it is dropped too and the caller seeks the stream back to `expected`;
 * - a full queue (PARTITION_QUEUE_BYTES) drops what arrives and asks for a
 *   seek once it has room again: a slow or paused partition costs a re-read,
 *   never memory nor other partitions' progress.
 */
export class PartitionQueue {
  private items: KafkaMessage[] = [];
  private offsets: bigint[] = [];
  private head = 0;
  private bytesNow = 0;
  /** Next offset to take; undefined while the start of this assignment is not known (everything is dropped). */
  expected: bigint | undefined;
  /** Messages were dropped: the stream must be moved back to `expected` once there is room. */
  needSeek = false;
  /** The last gap seen (`expected` → offset): seen twice in a row right after a seek, it is real (e.g. a transaction marker) and taken. */
  private lastGap: { expected: bigint; offset: bigint } | undefined;
  /** Bumped whenever the queue is reset (new assignment, lost consumer): a batch taken before must not drop anything after. */
  generation = 0;
  /** Owned by this member in the current assignment. */
  owned = false;
  /** A transient failure paused it; `pauseToken` tells the current pause from older ones. */
  paused = false;
  pauseToken = 0;
  /** A batch of it is being handled (possibly of an older assignment, which the next one must wait for). */
  busy = false;
  busyEpoch = -1;
  /** Waiting in the subscription's ready list. */
  scheduled = false;

  constructor(readonly topic: string, readonly partition: number) {}

  get key(): string {
    return `${this.topic}:${this.partition}`;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesNow;
  }

  /** Forgets everything (new assignment or lost consumer); the start is set again by `startAt`. */
  reset(owned: boolean): void {
    this.items = [];
    this.offsets = [];
    this.head = 0;
    this.bytesNow = 0;
    this.expected = undefined;
    this.needSeek = false;
    this.lastGap = undefined;
    this.owned = owned;
    this.generation++;
  }

  startAt(offset: bigint): void {
    this.expected = offset;
    this.needSeek = true;
  }

  /**
   * What to do with the consumed message at `offset`. 'take': it is the next
   * one (then `push` it). 'drop': a duplicate, or not ours. 'seek': drop it,
   * and the stream must go back to `expected` — messages before this one are
   * missing, or the queue is full (`needSeek` stays set; the caller seeks
   * once there is room).
   */
  verdict(offset: bigint): 'take' | 'drop' | 'seek' {
    const expected = this.expected;
    if (!this.owned || expected === undefined || offset < expected) return 'drop';
    if (offset > expected) {
      const gap = this.lastGap;
      if (!(gap && gap.expected === expected && gap.offset === offset)) {
        this.lastGap = { expected, offset };
        this.needSeek = true;
        return 'seek';
      }
    }
    if (this.bytesNow >= PARTITION_QUEUE_BYTES) {
      this.needSeek = true;
      return 'seek';
    }
    return 'take';
  }

  /** Queues the message `verdict` said to take; returns its size in bytes. */
  push(offset: bigint, m: KafkaMessage): number {
    const size = sizeOf(m);
    this.items.push(m);
    this.offsets.push(offset);
    this.bytesNow += size;
    this.expected = offset + 1n;
    this.needSeek = false;
    this.lastGap = undefined;
    return size;
  }

  /** Room to take messages again after a seek. */
  get hasRoom(): boolean {
    return this.bytesNow < PARTITION_QUEUE_BYTES / 2;
  }

  /** The next batch: queued messages from the head, up to BATCH_BYTES (at least one). */
  batch(): KafkaMessage[] {
    const out: KafkaMessage[] = [];
    let bytes = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const m = this.items[i]!;
      const size = sizeOf(m);
      if (out.length > 0 && bytes + size > BATCH_BYTES) break;
      out.push(m);
      bytes += size;
    }
    return out;
  }

  /** Drops the handled messages (offsets up to and including `offset`); returns how many bytes that freed. */
  dropThrough(offset: bigint): number {
    let freed = 0;
    while (this.head < this.items.length && this.offsets[this.head]! <= offset) {
      freed += sizeOf(this.items[this.head]!);
      this.head++;
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.offsets = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
    this.bytesNow -= freed;
    return freed;
  }
}
