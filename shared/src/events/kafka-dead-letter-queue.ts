import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import type { Admin, Kafka, KafkaMessage, Message } from 'kafkajs';
import { readDeadLetter, replayMessage, type DeadLetterRecord } from './dead-letter';
import { dlqTopicOf } from './kafka-topics';

/** A dead letter and whether it was replayed already (it is before the replay cursor). */
export interface ListedDeadLetter extends DeadLetterRecord {
  /** The event family topic, without prefix or `.dlq`. */
  readonly topic: string;
  readonly replayed: boolean;
}

/** The consumer group (no members, offsets only) whose offsets on `<topic>.dlq` say "replayed up to here". */
export const REPLAY_CURSOR_GROUP = 'dead-letters.replayed';

interface Range { readonly partition: number; readonly from: number; readonly cursor: number; readonly high: number }
interface Read { readonly record: ListedDeadLetter; readonly message: KafkaMessage }

/**
 * Operations on the dead-letter topics: list them, and replay them — each is
 * republished to its original topic with a `replay-group` header, so only the
 * group that refused it handles it again (the others handled the original).
 * Replays are at-least-once: the cursor moves after the republish.
 */
export class KafkaDeadLetterQueue {
  private readonly admin: Admin;

  constructor(private readonly kafka: Kafka, private readonly prefix = '') {
    this.admin = kafka.admin();
  }

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }

  /** Dead letters of the given event families: pending ones, or all with `all`. */
  async list(topics: readonly string[], all = false): Promise<ListedDeadLetter[]> {
    const out: ListedDeadLetter[] = [];
    for (const topic of topics) out.push(...(await this.read(topic, all)).map((r) => r.record));
    return out;
  }

  /** Republishes every pending dead letter of the given families, then moves the cursor past them. */
  async replay(topics: readonly string[], dryRun = false): Promise<{ count: number; byTopic: Record<string, number> }> {
    const byTopic: Record<string, number> = {};
    let count = 0;
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    if (!dryRun) await producer.connect();
    try {
      for (const topic of topics) {
        const pending = await this.read(topic, false);
        if (pending.length === 0) continue;
        byTopic[topic] = pending.length;
        count += pending.length;
        if (dryRun) continue;
        const messages = new Map<string, Message[]>();
        for (const { record: r, message } of pending) {
          const list = messages.get(r.originalTopic) ?? [];
          list.push(replayMessage(message, r.group, `${r.dlqTopic}/${r.dlqPartition}/${r.dlqOffset}`));
          messages.set(r.originalTopic, list);
        }
        await producer.sendBatch({ acks: -1, topicMessages: [...messages].map(([t, m]) => ({ topic: t, messages: m })) });
        const ends = new Map<number, number>();
        for (const { record: r } of pending) ends.set(r.dlqPartition, Math.max(ends.get(r.dlqPartition) ?? 0, Number(r.dlqOffset) + 1));
        await this.admin.setOffsets({
          groupId: this.prefix + REPLAY_CURSOR_GROUP,
          topic: this.dlq(topic),
          partitions: [...ends].map(([partition, offset]) => ({ partition, offset: String(offset) })),
        });
      }
    } finally {
      if (!dryRun) await producer.disconnect();
    }
    return { count, byTopic };
  }

  private dlq(topic: string): string {
    return this.prefix + dlqTopicOf(topic);
  }

  /** Where each partition of a DLQ topic is to be read from and to (its end now). */
  private async ranges(dlq: string, all: boolean): Promise<Range[]> {
    if (!(await this.admin.listTopics()).includes(dlq)) return [];
    const ends = await this.admin.fetchTopicOffsets(dlq);
    const [cursors] = await this.admin.fetchOffsets({ groupId: this.prefix + REPLAY_CURSOR_GROUP, topics: [dlq] });
    return ends.map((e) => {
      const low = Number(e.low);
      const cursor = Math.max(low, Number(cursors?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1));
      return { partition: e.partition, from: all ? low : cursor, cursor, high: Number(e.high) };
    }).filter((r) => r.from < r.high);
  }

  /** Reads the ranges with a throwaway group (deleted afterwards); stops at each partition's end. */
  private async read(topic: string, all: boolean): Promise<Read[]> {
    const dlq = this.dlq(topic);
    const ranges = await this.ranges(dlq, all);
    if (ranges.length === 0) return [];
    const groupId = `${this.prefix}dead-letters.reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
    const reads: Read[] = [];
    const left = new Set(ranges.map((r) => r.partition));
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [dlq], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const range = ranges.find((r) => r.partition === partition);
          const offset = Number(message.offset);
          if (!range || offset < range.from || offset >= range.high) return;
          reads.push({ record: { topic, ...readDeadLetter(dlq, partition, message), replayed: offset < range.cursor }, message });
          if (offset === range.high - 1 && left.delete(partition) && left.size === 0) done();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([finished, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${dlq} timed out`)), 60_000)))]);
      clearTimeout(timer);
    } finally {
      await consumer.disconnect().catch(() => {});
      await this.admin.deleteGroups([groupId]).catch(() => {});
    }
    return reads.sort((a, b) => a.record.dlqPartition - b.record.dlqPartition || Number(a.record.dlqOffset) - Number(b.record.dlqOffset));
  }
}
