import type { Redis } from 'ioredis';
import type { Presence } from '../ports/presence';

const LEASE_MS = 90_000;

/**
 * Per user, a sorted set of socket ids scored by lease expiry. An instance
 * that dies stops renewing, and its sockets age out after LEASE_MS.
 */
export class RedisPresence implements Presence {
  constructor(private readonly redis: Redis, private readonly prefix = 'chat:presence:') {}

  async connect(userId: string, socketId: string): Promise<{ first: boolean }> {
    const now = Date.now();
    const key = this.prefix + userId;
    const res = await this.redis.multi().zremrangebyscore(key, 0, now).zadd(key, now + LEASE_MS, socketId).zcard(key).pexpire(key, LEASE_MS).exec();
    return { first: Number(res?.[2]?.[1]) === 1 };
  }
  async disconnect(userId: string, socketId: string): Promise<{ last: boolean }> {
    const key = this.prefix + userId;
    const res = await this.redis.multi().zrem(key, socketId).zremrangebyscore(key, 0, Date.now()).zcard(key).exec();
    return { last: Number(res?.[0]?.[1]) === 1 && Number(res?.[2]?.[1]) === 0 };
  }
  async onlineAmong(userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const now = Date.now();
    const p = this.redis.pipeline();
    for (const id of userIds) p.zcount(this.prefix + id, now, '+inf');
    const res = (await p.exec()) ?? [];
    return userIds.filter((_, i) => Number(res[i]?.[1]) > 0);
  }
  async heartbeat(sockets: Iterable<[string, string]>): Promise<void> {
    const expiry = Date.now() + LEASE_MS;
    const p = this.redis.pipeline();
    for (const [userId, socketId] of sockets) p.zadd(this.prefix + userId, 'XX', expiry, socketId).pexpire(this.prefix + userId, LEASE_MS);
    await p.exec();
  }
}
