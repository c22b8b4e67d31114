import type { Admin } from 'kafkajs';
import { retryingRetriable } from './kafka-client';

/**
 * The broker's view of a group's lag: Σ(high watermark − committed offset)
 * over the group's partitions of the given (prefixed) topics, or of every
 * topic it has offsets for. Partitions without a committed offset count from
 * the log start.
 */
export async function consumerLag(admin: Admin, groupId: string, topics?: readonly string[]): Promise<number> {
  const committed = await retryingRetriable(() =>
    admin.fetchOffsets(topics ? { groupId, topics: [...topics] } : { groupId }),
  );
  let lag = 0;
  for (const { topic, partitions } of committed) {
    const ends = await retryingRetriable(() => admin.fetchTopicOffsets(topic));
    for (const end of ends) {
      const c = partitions.find((p) => p.partition === end.partition);
      const from = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(end.low);
      lag += Math.max(0, Number(end.high) - from);
    }
  }
  return lag;
}
