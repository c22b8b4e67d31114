// Helpers of the Kafka test files (not a test itself: tap runs *.test.ts only).
// Every bus gets a fresh topic prefix and every group a fresh name; `cleanupKafka`
// deletes them at the end of a file.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { EventEnvelope } from '../src/events/event-envelope';
import type { KafkaEventBusOptions } from '../src/events/kafka-event-bus';

export const brokersEnv = process.env.KAFKA_BROKERS;
export const skipWithoutKafka = brokersEnv ? false : 'KAFKA_BROKERS not set (eval "$(bash scripts/services.sh up kafka)" to run against a broker)';
export const brokers = (brokersEnv ?? '').split(',').filter(Boolean);
const runId = randomUUID().slice(0, 8);
export const kafkaLogLevel = process.env.KAFKA_TEST_LOG === 'debug' ? logLevel.INFO : logLevel.NOTHING;

const prefixes: string[] = [];
const groups: string[] = [];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freshPrefix(): string {
  const prefix = `ct-${randomUUID().slice(0, 8)}.`;
  prefixes.push(prefix);
  return prefix;
}

export function freshGroup(name: string): string {
  const g = `${name}-${randomUUID()}`;
  groups.push(g);
  return g;
}

/** Options of a test bus: short timeouts, quiet logs (set `warnings` to collect the bus's warnings). */
export function testBusOptions(prefix: string, over: Partial<KafkaEventBusOptions> = {}, warnings?: string[]): KafkaEventBusOptions {
  return {
    brokers,
    clientId: `kafka-test-${runId}`,
    topicPrefix: prefix,
    retryBaseMs: 20,
    logLevel: kafkaLogLevel,
    logger: { warn: (obj, msg) => void warnings?.push(`${msg} ${JSON.stringify(obj)}`) },
    ...over,
    consumer: {
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
      joinTimeoutMs: 20_000,
      ...over.consumer,
    },
  };
}

export function makeEvent(key: string, n: number, type = 'message.posted'): EventEnvelope<{ n: number }> {
  return { id: randomUUID(), type, version: 1, key, occurredAt: new Date().toISOString(), payload: { n } };
}

export const nOf = (e: EventEnvelope) => (e.payload as { n: number }).n;

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves with p, or rejects after ms (so a teardown can never hang the file). */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: over ${ms}ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function plainKafka(list: string[] = brokers): Kafka {
  return new Kafka({ clientId: `kafka-test-plain-${runId}`, brokers: list, logLevel: logLevel.NOTHING });
}

/** The partition kafkajs's DefaultPartitioner (Java murmur2) puts a key on. */
export function partitionOfKey(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

/** A TCP port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Deletes the topics and groups the file created (best effort). */
export async function cleanupKafka(list: string[] = brokers): Promise<void> {
  if (list.length === 0 || prefixes.length === 0) return;
  const admin = plainKafka(list).admin();
  try {
    await within(20_000, 'topic cleanup', (async () => {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((n) => prefixes.some((p) => n.startsWith(p)));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
      const prefixed = groups.flatMap((g) => [g, ...prefixes.map((p) => p + g)]);
      await admin.deleteGroups(prefixed).catch(() => {});
    })());
  } catch {
    // best effort: leftovers only cost disk on a local broker
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Unhandled rejections seen while the file runs (none may happen: in a service they end the process). */
export function recordUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  process.on('unhandledRejection', (err) => void seen.push(err));
  return seen;
}
