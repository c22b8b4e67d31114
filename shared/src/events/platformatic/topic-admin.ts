import type { Admin } from '@platformatic/kafka';
import type { TopicAdminOptions } from '../kafka-topic-admin';
import type { KafkaTopicDeclaration } from '../kafka-topics';
import { protocolErrorIds } from './client';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retries fn while the broker says "not yet" (leader elections right after a topic is created, and the like). */
export async function retryingKafka<T>(
  fn: () => Promise<T>,
  attempts = 8,
  retriable: (err: unknown) => boolean = (err) => protocolErrorIds(err).length > 0,
  baseMs = 50,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retriable(err)) throw err;
      await sleep(Math.min(2_000, baseMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * KafkaTopicAdmin on @platformatic/kafka: creates the bus's (prefixed) topics
 * if missing, with their declared partitions and configs, waits until every new
 * partition answers, and never changes an existing topic (a partition count
 * that differs from the declaration is logged).
 */
export class PlatformaticTopicAdmin {
  private readonly declared: Map<string, KafkaTopicDeclaration>;
  private readonly existing = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly admin: Admin, private readonly o: TopicAdminOptions) {
    this.declared = new Map(o.declarations.map((d) => [d.name, d]));
  }

  declaredTopics(): string[] {
    return [...this.declared.keys()].map((n) => this.o.prefix + n);
  }

  ensure(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => !this.existing.has(t));
    if (missing.length === 0) return Promise.resolve();
    const run = this.queue.then(() => this.create(missing.filter((t) => !this.existing.has(t))));
    this.queue = run.catch(() => {});
    return run;
  }

  private async createOne(name: string): Promise<void> {
    const d = this.declaration(name);
    const partitions = d?.partitions ?? this.o.defaultPartitions ?? 1;
    try {
      await this.admin.createTopics({
        topics: [name],
        partitions,
        replicas: this.o.replicationFactor ?? d?.replicationFactor ?? 1,
        configs: Object.entries(d?.config ?? {}).map(([name, value]) => ({ name, value })),
      });
    } catch (err) {
      // Another bus (another process) created it meanwhile: fine.
      if (!protocolErrorIds(err).includes('TOPIC_ALREADY_EXISTS')) throw err;
    }
    // A new partition can refuse requests (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE) a moment
    // after creation; wait until every one answers a ListOffsets.
    const ids = Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n }));
    await retryingKafka(async () => {
      await this.admin.metadata({ topics: [name], forceUpdate: true });
      await this.admin.listOffsets({ topics: [{ name, partitions: ids }] });
    }, 12, () => true); // "Unknown topic" too: the metadata of a topic this new may not list it yet
  }

  private declaration(name: string): KafkaTopicDeclaration | undefined {
    return this.declared.get(name.slice(this.o.prefix.length));
  }

  private async create(todo: string[]): Promise<void> {
    if (todo.length === 0) return;
    const present = new Set(await this.admin.listTopics());
    const create = todo.filter((t) => !present.has(t));
    // One request per topic (the client's createTopics takes one partition count per call), all at once.
    await Promise.all(create.map((name) => this.createOne(name)));
    const existed = todo.filter((t) => present.has(t) && this.declaration(t));
    if (existed.length > 0) {
      const meta = await retryingKafka(() => this.admin.metadata({ topics: existed }));
      for (const [name, m] of meta.topics) {
        const declared = this.declaration(name)?.partitions;
        if (declared !== undefined && m.partitionsCount !== declared) {
          this.o.log.warn({ topic: name, partitions: m.partitionsCount, declared }, 'topic partitions differ from the declaration');
        }
      }
    }
    for (const t of todo) this.existing.add(t);
  }
}
