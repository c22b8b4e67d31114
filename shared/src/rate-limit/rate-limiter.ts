import type { Redis } from 'ioredis';

export interface BucketRule {
  /** Tokens added per second (the sustained rate). */
  readonly ratePerSecond: number;
  /** Bucket size (the burst). */
  readonly burst: number;
}

export interface Verdict {
  readonly allowed: boolean;
  /** Whole seconds until one token is back, for Retry-After. */
  readonly retryAfterSeconds: number;
  /** Whole tokens left in the bucket after this call (0 when refused): what X-RateLimit-Remaining shows. */
  readonly remaining: number;
}

/**
 * A token bucket per key: never refuses a client that stays within
 * ratePerSecond on average with bursts up to `burst`.
 */
export interface RateLimiter {
  take(key: string, rule: BucketRule): Promise<Verdict>;
}

function refill(tokens: number, last: number, now: number, rule: BucketRule): number {
  return Math.min(rule.burst, tokens + ((now - last) / 1000) * rule.ratePerSecond);
}

export class InProcessRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  async take(key: string, rule: BucketRule): Promise<Verdict> {
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: rule.burst, last: now };
    b.tokens = refill(b.tokens, b.last, now, rule);
    b.last = now;
    // Re-insert so the Map's order is least-recently-used first, then trim.
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(b.tokens) };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rule.ratePerSecond)), remaining: 0 };
  }
}

/** The same bucket, atomic in Redis, so every instance shares one budget per key. */
const TAKE = `local t = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, last = tonumber(t[1]) or burst, tonumber(t[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) / 1000 * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'last', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}`;

export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly redis: Redis, private readonly prefix = 'chat:rl:') {}

  async take(key: string, rule: BucketRule): Promise<Verdict> {
    const [allowed, tokens] = (await this.redis.eval(TAKE, 1, this.prefix + key, rule.ratePerSecond, rule.burst, Date.now())) as [number, string];
    if (allowed === 1) return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(Number(tokens)) };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - Number(tokens)) / rule.ratePerSecond)), remaining: 0 };
  }
}

/** Rate limits switched off (load tests). */
export class UnlimitedRateLimiter implements RateLimiter {
  async take(_key: string, rule: BucketRule): Promise<Verdict> {
    return { allowed: true, retryAfterSeconds: 0, remaining: rule.burst };
  }
}
