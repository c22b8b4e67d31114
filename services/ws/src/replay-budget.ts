/**
 * What replays may cost: a socket's replay pages are paid from its own byte
 * bucket and from its user's byte and time buckets, and a user has a few
 * store reads in flight at most. Pages are charged after they are read (their
 * size is known only then), so a bucket may go into debt; the next page waits
 * until it is out of debt. Waiting is the only answer: a budget never refuses.
 */

export interface ReplayLimits {
  /** Target size of one replay page in bytes of event frames (the page shrinks when events are large). */
  readonly pageBytes: number;
  /** Most events in one page, whatever their size. */
  readonly maxPageEvents: number;
  /** Bytes of replayed event frames per second one socket may read (its bucket holds one second's worth). */
  readonly socketBytesPerSecond: number;
  /** The same for all sockets of one user together. */
  readonly userBytesPerSecond: number;
  /** Milliseconds per second one user's replay reads may take (store read and serialization). */
  readonly userMsPerSecond: number;
  /** Store reads one user may have in flight at once. */
  readonly userReadsInFlight: number;
}

/** A token bucket (tokens per second, holding `burst`) that work is charged to after it is done. */
export class DebtBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSecond: number, private readonly burst: number, now = Date.now()) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  /** Milliseconds until the bucket is out of debt: 0 means the next piece of work may start now. */
  waitMs(now = Date.now()): number {
    this.refill(now);
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  charge(amount: number, now = Date.now()): void {
    this.refill(now);
    this.tokens -= amount;
  }

  /** Milliseconds until the bucket is full again (nothing owed, nothing to remember). */
  msUntilFull(now = Date.now()): number {
    this.refill(now);
    return Math.ceil(((this.burst - this.tokens) / this.ratePerSecond) * 1000);
  }
}

/** A counting semaphore, first come first served. */
export class Slots {
  private readonly waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** One user's replay budget, shared by all of the user's sockets on this instance. */
export class UserReplayBudget {
  readonly reads: Slots;
  readonly bytes: DebtBucket;
  readonly time: DebtBucket;
  private inFlight = 0;

  constructor(readonly limits: ReplayLimits, now = Date.now()) {
    this.reads = new Slots(limits.userReadsInFlight);
    this.bytes = new DebtBucket(limits.userBytesPerSecond, limits.userBytesPerSecond, now);
    this.time = new DebtBucket(limits.userMsPerSecond, limits.userMsPerSecond, now);
  }

  async startRead(): Promise<void> {
    this.inFlight++;
    await this.reads.acquire();
  }

  endRead(ms: number, now = Date.now()): void {
    this.reads.release();
    this.inFlight--;
    this.time.charge(ms, now);
  }

  /** Milliseconds until this budget owes nothing and no read of it is under way (0: it can be forgotten). */
  msUntilIdle(now = Date.now()): number {
    if (this.inFlight > 0) return 1000;
    return Math.max(this.bytes.msUntilFull(now), this.time.msUntilFull(now));
  }
}
