import type { Admin } from '@platformatic/kafka';
import { retryingKafka } from './topic-admin';

/**
 * consumerLag (kafka-consumer-lag.ts) on @platformatic/kafka: Σ(high watermark
 * − committed offset) over the group's partitions of the given (prefixed)
 * topics, or of every topic it has offsets for. Partitions without a committed
 * offset count from the log start.
 */
export async function platformaticConsumerLag(admin: Admin, groupId: string, topics?: readonly string[]): Promise<number> {
  const [group] = await retryingKafka(() => admin.listConsumerGroupOffsets({ groups: [groupId] }));
  const committed = new Map<string, bigint>();
  for (const t of group?.topics ?? []) for (const p of t.partitions) committed.set(`${t.name}:${p.partitionIndex}`, p.committedOffset);
  const names = topics ? [...topics] : [...new Set((group?.topics ?? []).map((t) => t.name))];
  if (names.length === 0) return 0;
  const metadata = await retryingKafka(() => admin.metadata({ topics: names }));
  const request = (timestamp: bigint) =>
    names.map((name) => ({
      name,
      partitions: Array.from({ length: metadata.topics.get(name)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
    }));
  const [highs, lows] = await Promise.all([
    retryingKafka(() => admin.listOffsets({ topics: request(-1n) })),
    retryingKafka(() => admin.listOffsets({ topics: request(-2n) })),
  ]);
  const low = new Map<string, bigint>();
  for (const t of lows) for (const p of t.partitions) low.set(`${t.name}:${p.partitionIndex}`, p.offset);
  let lag = 0n;
  for (const t of highs) {
    for (const p of t.partitions) {
      const key = `${t.name}:${p.partitionIndex}`;
      const c = committed.get(key);
      const from = c !== undefined && c >= 0n ? c : (low.get(key) ?? 0n);
      if (p.offset > from) lag += p.offset - from;
    }
  }
  return Number(lag);
}
