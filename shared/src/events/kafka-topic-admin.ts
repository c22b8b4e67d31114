import type { Admin } from 'kafkajs';
import { retryingRetriable } from './kafka-client';
import type { BusLogger } from './kafka-options';
import type { KafkaTopicDeclaration } from './kafka-topics';

export interface TopicAdminOptions {
  readonly prefix: string;
  readonly declarations: readonly KafkaTopicDeclaration[];
  readonly replicationFactor?: number;
  readonly defaultPartitions?: number;
  readonly log: BusLogger;
}

/**
 * Creates the bus's topics if missing, with their declared partitions, and
 * never changes an existing one: more partitions move keys to other partitions
 * and break per-key order, so that is an operation with a drain (a mismatch is
 * logged). Names here are prefixed.
 */
export class KafkaTopicAdmin {
  private readonly declared: Map<string, KafkaTopicDeclaration>;
  /** Prefixed topics known to exist. */
  private readonly existing = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly admin: Admin, private readonly o: TopicAdminOptions) {
    this.declared = new Map(o.declarations.map((d) => [d.name, d]));
  }

  /** Every declared topic, prefixed. */
  declaredTopics(): string[] {
    return [...this.declared.keys()].map((n) => this.o.prefix + n);
  }

  /** Creates the given (prefixed) topics if missing; concurrent calls queue. */
  ensure(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => !this.existing.has(t));
    if (missing.length === 0) return Promise.resolve();
    const run = this.queue.then(() => this.create(missing.filter((t) => !this.existing.has(t))));
    this.queue = run.catch(() => {});
    return run;
  }

  private declaration(name: string): KafkaTopicDeclaration | undefined {
    return this.declared.get(name.slice(this.o.prefix.length));
  }

  private async create(todo: string[]): Promise<void> {
    if (todo.length === 0) return;
    const present = new Set(await this.admin.listTopics());
    const create = todo.filter((t) => !present.has(t));
    if (create.length > 0) {
      await this.admin.createTopics({
        waitForLeaders: true,
        timeout: 30_000,
        topics: create.map((name) => {
          const d = this.declaration(name);
          return {
            topic: name,
            numPartitions: d?.partitions ?? this.o.defaultPartitions ?? 1,
            replicationFactor: this.o.replicationFactor ?? d?.replicationFactor ?? 1,
            configEntries: Object.entries(d?.config ?? {}).map(([name, value]) => ({ name, value })),
          };
        }),
      });
      // Leaders are in the metadata once createTopics returns, but a partition can refuse requests
      // (NOT_LEADER_FOR_PARTITION) a moment longer; wait until every new partition answers.
      for (const topic of create) await retryingRetriable(() => this.admin.fetchTopicOffsets(topic), 12);
    }
    const existed = todo.filter((t) => present.has(t) && this.declaration(t));
    if (existed.length > 0) {
      const meta = await retryingRetriable(() => this.admin.fetchTopicMetadata({ topics: existed }));
      for (const m of meta.topics) {
        const declared = this.declaration(m.name)?.partitions;
        if (declared !== undefined && m.partitions.length !== declared) {
          this.o.log.warn({ topic: m.name, partitions: m.partitions.length, declared }, 'topic partitions differ from the declaration');
        }
      }
    }
    for (const t of todo) this.existing.add(t);
  }
}
