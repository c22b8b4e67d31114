import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InProcessRoomCache } from '../src/cache/in-process-room-cache';
import { RedisRoomCache } from '../src/cache/redis-room-cache';
import { InProcessPresence } from '../src/cache/in-process-presence';
import { RedisPresence } from '../src/cache/redis-presence';
import { InProcessRateLimiter, RedisRateLimiter, UnlimitedRateLimiter } from '../src/rate-limit/rate-limiter';
import type { Presence } from '../src/ports/presence';
import type { RoomCache } from '../src/ports/room-cache';
import type { RateLimiter } from '../src/rate-limit/rate-limiter';
import { testRedis } from '../src/testing/databases';

const redis = testRedis();
t.teardown(() => redis?.quit());

const adapters: { name: string; cache: RoomCache; presence: Presence; limiter: RateLimiter }[] = [
  { name: 'in-process', cache: new InProcessRoomCache(), presence: new InProcessPresence(), limiter: new InProcessRateLimiter() },
];
if (redis) adapters.push({ name: 'redis', cache: new RedisRoomCache(redis, `t${randomUUID()}:`), presence: new RedisPresence(redis, `t${randomUUID()}:`), limiter: new RedisRateLimiter(redis, `t${randomUUID()}:`) });
else t.comment('REDIS_URL unset: the Redis adapters are not tested in this run');

for (const a of adapters) {
  t.test(`room cache (${a.name})`, async (t) => {
    const room = randomUUID();
    t.equal(await a.cache.members(room), null, 'a miss');
    await a.cache.fillMembers(room, { u1: 'owner' });
    t.same(await a.cache.members(room), { u1: 'owner' }, 'filled on miss');
    await a.cache.putMembers(room, { u1: 'owner', u2: 'member' });
    await a.cache.fillMembers(room, { u1: 'owner' });
    t.same(await a.cache.members(room), { u1: 'owner', u2: 'member' }, "a reader's fill never overwrites the writer");
    await a.cache.putHead(room, 5);
    await a.cache.putHead(room, 3);
    t.equal(await a.cache.head(room), 5, 'the head never moves back');
    await a.cache.forget(room);
    t.equal(await a.cache.members(room), null);
  });

  t.test(`presence (${a.name})`, async (t) => {
    const user = randomUUID();
    t.same(await a.presence.connect(user, 's1'), { first: true });
    t.same(await a.presence.connect(user, 's2'), { first: false });
    t.same(await a.presence.onlineAmong([user, randomUUID()]), [user]);
    t.same(await a.presence.disconnect(user, 's1'), { last: false });
    t.same(await a.presence.disconnect(user, 's2'), { last: true });
    t.same(await a.presence.disconnect(user, 's2'), { last: false }, 'a second close is not a second offline');
    t.same(await a.presence.onlineAmong([user]), []);
  });

  t.test(`token bucket (${a.name})`, async (t) => {
    const key = randomUUID();
    const rule = { ratePerSecond: 20, burst: 5 };
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push(await a.limiter.take(key, rule));
    t.same(verdicts.map((v) => v.allowed), [true, true, true, true, true, false], 'the burst, then a refusal');
    t.equal(verdicts[5]!.retryAfterSeconds, 1);
    t.same(verdicts.map((v) => v.remaining), [4, 3, 2, 1, 0, 0], 'remaining: whole tokens left (X-RateLimit-Remaining)');
    await new Promise((r) => setTimeout(r, 120));
    t.ok((await a.limiter.take(key, rule)).allowed, 'tokens come back at the rate');
  });
}

t.test('the unlimited limiter serves everything and reports a full bucket', async (t) => {
  const limiter = new UnlimitedRateLimiter();
  const rule = { ratePerSecond: 1, burst: 3 };
  for (let i = 0; i < 10; i++) t.same(await limiter.take('k', rule), { allowed: true, retryAfterSeconds: 0, remaining: 3 });
});
