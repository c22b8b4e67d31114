import { Redis } from 'ioredis';
import type { Config } from '../kernel/config';
import { openDatabase, type Db } from '../db/database';
import { InMemoryEventBus } from '../events/in-memory-event-bus';
import { connectKafkaEventBus, type KafkaBus } from '../events/kafka-bus-factory';
import type { EventBus } from '../events/event-bus';
import { InstrumentedEventBus } from '../events/instrumented-event-bus';
import { InProcessRoomCache } from '../cache/in-process-room-cache';
import { RedisRoomCache } from '../cache/redis-room-cache';
import { InProcessPresence } from '../cache/in-process-presence';
import { RedisPresence } from '../cache/redis-presence';
import type { Metrics } from '../metrics/metrics';
import type { Presence } from '../ports/presence';
import type { RoomCache } from '../ports/room-cache';
import { InProcessRateLimiter, RedisRateLimiter, UnlimitedRateLimiter, type RateLimiter } from '../rate-limit/rate-limiter';

/** The adapters this process runs on, chosen from configuration (and only here). */
export interface Infrastructure {
  /** Undefined for services that keep no tables (ws, search). */
  db: Db | undefined;
  redis: Redis | undefined;
  bus: EventBus;
  cache: RoomCache;
  presence: Presence;
  limiter: RateLimiter;
  /** Named checks for /readyz. */
  checks: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

function instrument(redis: Redis, metrics: Metrics): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string; promise: Promise<unknown> }, ...rest: unknown[]) => {
    const end = metrics.redisDuration.startTimer({ command: command.name });
    command.promise.then(() => end(), () => end());
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as typeof redis.sendCommand;
}

/**
 * Opens what a process needs. KAFKA_BROKERS set: the bus is Kafka (Phase 3, or a
 * monolith on Kafka); unset: in memory. REDIS_URL set: shared caches, presence
 * and rate limits in Redis; unset: in process.
 */
export async function openInfrastructure(config: Config, metrics: Metrics, clientId = 'monolith', options: { database?: boolean } = {}): Promise<Infrastructure> {
  const db = options.database === false ? undefined : await openDatabase(config.databaseUrl, { sqliteSynchronous: config.sqliteSynchronous });
  let redis: Redis | undefined;
  if (config.redisUrl) {
    // commandTimeout: a frozen Redis (connected, answering nothing) fails a command in 2 s instead of never.
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true, commandTimeout: 2000 });
    redis.on('error', () => undefined);
    await redis.connect();
    instrument(redis, metrics);
  }
  const kafka: KafkaBus | undefined = config.kafkaBrokers ? await connectKafkaEventBus({ brokers: config.kafkaBrokers, clientId, topicPrefix: config.kafkaTopicPrefix, consumer: { sessionTimeout: config.kafkaSessionTimeoutMs, rebalanceTimeout: Math.max(60_000, config.kafkaSessionTimeoutMs) } }, config.kafkaClient) : undefined;
  const raw: EventBus = kafka ?? new InMemoryEventBus();
  const bus = new InstrumentedEventBus(raw, metrics);
  const checks: Record<string, () => Promise<void>> = {};
  if (db) checks.database = async () => void (await db.kysely.selectFrom('outbox').select('id').limit(1).execute());
  if (redis) checks.redis = async () => void (await redis.ping());
  if (kafka) checks.kafka = () => kafka.ping();
  return {
    db,
    redis,
    bus,
    cache: redis ? new RedisRoomCache(redis) : new InProcessRoomCache(),
    presence: redis ? new RedisPresence(redis) : new InProcessPresence(),
    limiter: !config.rateLimit.enabled ? new UnlimitedRateLimiter() : redis ? new RedisRateLimiter(redis) : new InProcessRateLimiter(),
    checks,
    close: async () => {
      await bus.close();
      await db?.close();
      await redis?.quit().catch(() => undefined);
    },
  };
}
