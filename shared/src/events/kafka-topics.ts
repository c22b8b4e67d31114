import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One topic as declared in infra/kafka/topics.json (names without the bus's topicPrefix). */
export interface KafkaTopicDeclaration {
  readonly name: string;
  readonly partitions: number;
  /** Overrides the file-wide replicationFactor. */
  readonly replicationFactor?: number;
  /** Topic-level configs (retention.ms, cleanup.policy, ...), as Kafka expects them: strings. */
  readonly config?: Readonly<Record<string, string>>;
  readonly description?: string;
}

export interface KafkaTopicsFile {
  readonly replicationFactor: number;
  readonly productionReplicationFactor?: number;
  readonly productionConfig?: Readonly<Record<string, string>>;
  readonly topics: readonly KafkaTopicDeclaration[];
}

/** infra/kafka/topics.json at the repository root. */
export const DEFAULT_TOPICS_FILE = fileURLToPath(new URL('../../../infra/kafka/topics.json', import.meta.url));

/** The dead-letter topic of a topic (prefix included, if any). */
export function dlqTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** Reads and validates a topics file; each declaration gets the file-wide replication factor unless it sets its own. */
export function loadTopicDeclarations(path: string = DEFAULT_TOPICS_FILE): KafkaTopicDeclaration[] {
  const file = JSON.parse(readFileSync(path, 'utf8')) as KafkaTopicsFile;
  return parseTopicsFile(file, path);
}

export function parseTopicsFile(file: KafkaTopicsFile, source = 'topics file'): KafkaTopicDeclaration[] {
  if (!file || !Array.isArray(file.topics)) throw new Error(`${source}: "topics" must be an array`);
  const rf = file.replicationFactor ?? 1;
  const seen = new Set<string>();
  return file.topics.map((t) => {
    if (typeof t.name !== 'string' || !/^[a-zA-Z0-9._-]+$/.test(t.name)) {
      throw new Error(`${source}: invalid topic name ${JSON.stringify(t.name)}`);
    }
    if (seen.has(t.name)) throw new Error(`${source}: topic ${t.name} declared twice`);
    seen.add(t.name);
    if (!Number.isInteger(t.partitions) || t.partitions < 1) {
      throw new Error(`${source}: topic ${t.name} needs a positive integer "partitions"`);
    }
    const replicationFactor = t.replicationFactor ?? rf;
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
      throw new Error(`${source}: topic ${t.name} has an invalid replication factor`);
    }
    return { ...t, replicationFactor };
  });
}
