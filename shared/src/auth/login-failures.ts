import { RateLimitedError } from '../kernel/errors';
import type { BucketRule, RateLimiter } from '../rate-limit/rate-limiter';

export interface LoginFailureRule {
  /** Failed logins a username may have within the window before it is refused. */
  readonly failures: number;
  readonly windowSeconds: number;
}

/** How far a success refills the bucket: at once, to full (see `succeeded`). */
const REFILL_AT_ONCE = 1e12;

/**
 * Failed logins per username, on the shared RateLimiter port, so every
 * instance on the same Redis counts together (in-process without Redis).
 *
 * A token bucket of `failures` tokens that refills over `windowSeconds`. Each
 * login takes a token before the password is checked, and a refused take is a
 * 429 with no hashing at all; a successful login puts the bucket back to full,
 * so what drains it is failed logins only. Unknown usernames are counted the
 * same way (no hint which exist). A guesser gets `failures` tries and then one
 * per `windowSeconds / failures`, from however many addresses.
 */
export class LoginFailureLimit {
  private readonly rule: BucketRule;
  private readonly refill: BucketRule;

  constructor(private readonly limiter: RateLimiter, rule: LoginFailureRule) {
    this.rule = { ratePerSecond: rule.failures / rule.windowSeconds, burst: rule.failures };
    // The port has only `take`: a take under a rule that refills at once, with room for the token it
    // takes, leaves the bucket full (`failures` tokens); in Redis the key then expires within a second.
    this.refill = { ratePerSecond: REFILL_AT_ONCE, burst: rule.failures + 1 };
  }

  /** Takes a token for a login of `username`; RateLimitedError (429) when its failures used them up. */
  async admit(username: string): Promise<void> {
    const verdict = await this.limiter.take(keyOf(username), this.rule);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }

  /** A successful login: the count starts again. */
  async succeeded(username: string): Promise<void> {
    await this.limiter.take(keyOf(username), this.refill);
  }
}

const keyOf = (username: string): string => `login-failures:${username.toLowerCase()}`;
