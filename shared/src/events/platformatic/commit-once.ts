import { kGetApi, kGetConnection, kMetadata } from '@platformatic/kafka';
import type { API, ClusterMetadata, Connection, Consumer, offsetCommitV9 } from '@platformatic/kafka';
import type { Offsets } from 'kafkajs';
import type { CommitOnce } from '../kafka-offset-tracker';
import { withKafkaType } from './client';

/** The group membership an assignment was made under. */
export interface Membership {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
}

type OffsetCommitRequestTopic = offsetCommitV9.OffsetCommitRequestTopic;
type OffsetCommitApi = API<[string, number, string | null, string | null, OffsetCommitRequestTopic[]], offsetCommitV9.OffsetCommitResponse>;

const viaCallback = <T>(start: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));

/**
 * One OffsetCommit request with the given membership, nothing else: the
 * kafkajs adapter's `commitOffsetsIfNecessary`. `Consumer.commit()` is not used
 * because, when the coordinator answers that the generation is over or a
 * rebalance is in progress, it rejoins the group and sends the same offsets
 * again under the new generation — the very commit of a partition the member
 * may have lost that docs/adr/0009 rules out. A refused commit here rejects
 * with the Kafka error id in `type`, which KafkaOffsetTracker reads to drop
 * (never re-queue) marks of an ended generation.
 */
export function commitOnceFor<K, V, HK, HV>(consumer: Consumer<K, V, HK, HV>, membership: Membership): CommitOnce {
  return async (offsets: Offsets) => {
    const topics: OffsetCommitRequestTopic[] = offsets.topics.map(({ topic, partitions }) => ({
      name: topic,
      partitions: partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1 })),
    }));
    try {
      const metadata = await viaCallback<ClusterMetadata>((cb) => consumer[kMetadata]({ topics: [] }, cb));
      const coordinator = consumer.coordinatorId === null ? undefined : metadata.brokers.get(consumer.coordinatorId);
      if (!coordinator) throw new Error(`coordinator of ${membership.groupId} unknown`);
      const connection = await viaCallback<Connection>((cb) => consumer[kGetConnection](coordinator, cb));
      const api = await viaCallback<OffsetCommitApi>((cb) => consumer[kGetApi]('OffsetCommit', cb));
      await api.async(connection, membership.groupId, membership.generationId, membership.memberId, null, topics);
    } catch (err) {
      throw withKafkaType(err);
    }
  };
}
