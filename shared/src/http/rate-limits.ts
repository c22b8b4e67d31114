import fastifyRateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { RateLimitBucket } from '../contract/http/route-spec';
import { RateLimitedError } from '../kernel/errors';
import type { BucketRule, RateLimiter, Verdict } from '../rate-limit/rate-limiter';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The token bucket this route takes from (set from RouteSpec.rateLimit by serveContractRoute). */
    rateLimitBucket?: RateLimitBucket;
  }
}

/** How each bucket is keyed: the same keys as before @fastify/rate-limit, so a Redis bucket is shared with the WebSocket hub (`msg:<user>`). */
export const BUCKET_KEYS: Record<RateLimitBucket, (request: FastifyRequest) => string> = {
  auth: (request) => `auth:${request.ip}`,
  room: (request) => `room:${request.userId}`,
  member: (request) => `member:${request.userId}`,
  msg: (request) => `msg:${request.userId}`,
};

/** Seconds until a bucket left with `remaining` whole tokens is full again (X-RateLimit-Reset on an answer that was served). */
function secondsUntilFull(rule: BucketRule, remaining: number): number {
  return Math.max(0, Math.ceil((rule.burst - remaining) / rule.ratePerSecond));
}

/**
 * @fastify/rate-limit counts hits in a window ({current, ttl} against max); our limit is a token bucket.
 * A verdict maps onto it with max = burst: served → current = burst - tokens left (so the plugin's
 * remaining is the tokens left), ttl = until the bucket is full again; refused → current = burst + 1
 * (exceeded), ttl = Retry-After.
 */
export function verdictAsHits(rule: BucketRule, v: Verdict): { current: number; ttl: number } {
  if (!v.allowed) return { current: rule.burst + 1, ttl: v.retryAfterSeconds * 1000 };
  const remaining = Math.min(rule.burst, Math.max(0, v.remaining));
  return { current: rule.burst - remaining, ttl: secondsUntilFull(rule, remaining) * 1000 };
}

/** A @fastify/rate-limit store whose every route takes from our RateLimiter (in-process, Redis or unlimited) under the route's bucket rule. */
function limiterStore(limiter: RateLimiter, rules: Record<RateLimitBucket, BucketRule>) {
  class BucketStore implements FastifyRateLimitStore {
    /** The plugin builds the root store from its options (unused); a route's store comes from child(). */
    constructor(_options?: unknown, private readonly rule?: BucketRule) {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void): void {
      const rule = this.rule;
      if (!rule) return callback(new Error(`rate limit on a route without a bucket (key ${key})`));
      limiter.take(key, rule).then((v) => callback(null, verdictAsHits(rule, v)), (err: Error) => callback(err));
    }

    // The plugin passes the route's merged limit options (with `routeInfo`, the route), not the route itself.
    child(options: unknown): FastifyRateLimitStore {
      const bucket = (options as { routeInfo?: RouteOptions }).routeInfo?.config?.rateLimitBucket;
      if (!bucket) throw new Error('a route with a rate limit must name its bucket (RouteSpec.rateLimit)');
      return new BucketStore(undefined, rules[bucket]);
    }
  }
  return BucketStore;
}

/**
 * The HTTP rate limits: @fastify/rate-limit on the routes that declare a bucket (RouteSpec.rateLimit),
 * none elsewhere (global: false). The limit runs as a preHandler, so after authentication, body
 * validation and a route's own preHandler checks (a malformed request is a 400 and takes no token),
 * before the handler. A refused call is the contract's 429 RATE_LIMITED with Retry-After (thrown as
 * RateLimitedError, so the error handler writes the body); every limited answer also carries
 * X-RateLimit-Limit / -Remaining / -Reset (docs/api-extensions.md). A limiter failure (Redis down)
 * is not skipped: it reaches the error handler (503) as it did from the handlers.
 *
 * Register once per app, before any route.
 */
export async function registerRateLimits(app: FastifyInstance, limiter: RateLimiter, rules: Record<RateLimitBucket, BucketRule>): Promise<void> {
  // Before the plugin's own onRoute hook (added when it loads): a route naming a bucket gets its limit options.
  app.addHook('onRoute', (route) => {
    const bucket = route.config?.rateLimitBucket;
    if (!bucket) return;
    // max = the burst (X-RateLimit-Limit); the plugin's timeWindow is not used: the bucket's rule decides (BucketStore).
    route.config = { ...route.config, rateLimit: { max: rules[bucket].burst, keyGenerator: BUCKET_KEYS[bucket] } };
  });
  await app.register(fastifyRateLimit, {
    global: false,
    hook: 'preHandler',
    store: limiterStore(limiter, rules),
    skipOnError: false,
    errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
