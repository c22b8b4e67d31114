import { Redis } from 'ioredis';
import type { Config } from '@chat/shared/kernel/config';
import { openDatabase, type Db } from '@chat/shared/db/database';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import type { EventBus } from '@chat/shared/events/event-bus';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { RedisRoomCache } from '@chat/shared/cache/redis-room-cache';
import { InProcessPresence } from '@chat/shared/cache/in-process-presence';
import { RedisPresence } from '@chat/shared/cache/redis-presence';
import type { Metrics } from '@chat/shared/metrics/metrics';
import type { Presence } from '@chat/shared/ports/presence';
import type { RoomCache } from '@chat/shared/ports/room-cache';
import { InProcessRateLimiter, RedisRateLimiter, UnlimitedRateLimiter, type RateLimiter } from '@chat/shared/rate-limit/rate-limiter';

/** The adapters this process runs on, chosen from configuration (and only here). */
export interface Infrastructure {
  db: Db;
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

export async function openInfrastructure(config: Config, metrics: Metrics): Promise<Infrastructure> {
  const db = await openDatabase(config.databaseUrl);
  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true });
    redis.on('error', () => undefined);
    await redis.connect();
    instrument(redis, metrics);
  }
  const bus = new InMemoryEventBus();
  const checks: Record<string, () => Promise<void>> = {
    database: async () => void (await db.kysely.selectFrom('users').select('id').limit(1).execute()),
  };
  if (redis) checks.redis = async () => void (await redis.ping());
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
      await db.close();
      await redis?.quit().catch(() => undefined);
    },
  };
}
