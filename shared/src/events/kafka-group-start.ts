import type { Admin } from 'kafkajs';

/**
 * Starts a new group at the end of its topics by committing those offsets
 * before its first member joins. kafkajs's own `fromBeginning: false` looks
 * the end up only at the member's first fetch, after subscribe() resolved,
 * so events published in between were skipped (ADR 0013). Partitions the
 * group already has offsets for keep them. Best effort: with a member already
 * active Kafka refuses the commit, and that member's offsets stand.
 */
export async function startNewGroupAtEnd(admin: Admin, groupId: string, topics: readonly string[], log: { warn(obj: object, msg: string): void }): Promise<void> {
  try {
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
      const unset = partitions.filter((p) => p.offset === '-1');
      if (unset.length === 0) continue;
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
      await admin.setOffsets({ groupId, topic, partitions: unset.map((p) => ({ partition: p.partition, offset: ends.get(p.partition) ?? '-1' })) });
    }
  } catch (err) {
    log.warn({ groupId, err: String(err) }, 'could not pin the new group at the end of its topics; kafkajs resolves it at its first fetch');
  }
}
