import type { Config } from '../kernel/config';
import type { BucketRule } from './rate-limiter';

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
