import type { Config } from '../kernel/config';
import type { BucketRule } from './rate-limiter';
import type { RateLimitBucket } from '../contract/http/route-spec';

/**
 * The buckets every service applies: messages per user, auth calls per address, WS frames per user,
 * rooms created per user and member additions per user (creation spam).
 */
export function rateRules(config: Config): { messageRule: BucketRule; authRule: BucketRule; frameRule: BucketRule; roomRule: BucketRule; memberRule: BucketRule } {
  const r = config.rateLimit;
  return {
    messageRule: { ratePerSecond: r.messagesPerSecond, burst: r.messagesBurst },
    authRule: { ratePerSecond: r.authPerSecond, burst: r.authBurst },
    frameRule: { ratePerSecond: Math.max(100, r.messagesPerSecond * 5), burst: Math.max(1000, r.messagesBurst * 10) },
    roomRule: { ratePerSecond: r.roomsPerSecond, burst: r.roomsBurst },
    memberRule: { ratePerSecond: r.membersPerSecond, burst: r.membersBurst },
  };
}

/** The buckets HTTP routes declare (RouteSpec.rateLimit), by name. `msg` is the one the WebSocket `send` frames take from too. */
export function httpBucketRules(config: Config): Record<RateLimitBucket, BucketRule> {
  const r = rateRules(config);
  return { auth: r.authRule, room: r.roomRule, member: r.memberRule, msg: r.messageRule };
}
