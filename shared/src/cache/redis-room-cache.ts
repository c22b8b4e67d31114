import type { Redis } from 'ioredis';
import type { Role } from '../events/timeline-events';
import type { RoomCache } from '../ports/room-cache';

const TTL_SECONDS = 600;
/** SET head only if greater: heads never move back, whatever order writes land in. */
const PUT_HEAD = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 0`;

export class RedisRoomCache implements RoomCache {
  constructor(private readonly redis: Redis, private readonly prefix = 'chat:') {}

  private membersKey(roomId: string): string {
    return `${this.prefix}room:{${roomId}}:members`;
  }
  private headKey(roomId: string): string {
    return `${this.prefix}room:{${roomId}}:head`;
  }

  async members(roomId: string): Promise<Record<string, Role> | null> {
    const raw = await this.redis.get(this.membersKey(roomId));
    return raw ? (JSON.parse(raw) as Record<string, Role>) : null;
  }
  async putMembers(roomId: string, members: Record<string, Role>): Promise<void> {
    await this.redis.set(this.membersKey(roomId), JSON.stringify(members), 'EX', TTL_SECONDS);
  }
  async fillMembers(roomId: string, members: Record<string, Role>): Promise<void> {
    await this.redis.set(this.membersKey(roomId), JSON.stringify(members), 'EX', TTL_SECONDS, 'NX');
  }
  async head(roomId: string): Promise<number | null> {
    const raw = await this.redis.get(this.headKey(roomId));
    return raw === null ? null : Number(raw);
  }
  async putHead(roomId: string, lastSeq: number): Promise<void> {
    await this.redis.eval(PUT_HEAD, 1, this.headKey(roomId), String(lastSeq), String(TTL_SECONDS));
  }
  async forget(roomId: string): Promise<void> {
    await this.redis.del(this.membersKey(roomId), this.headKey(roomId));
  }
}
