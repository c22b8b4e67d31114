import { isIP } from 'node:net';
import { UnavailableError } from '../kernel/errors';

export interface PasswordHashLimits {
  /** Hashes running at once, server-wide (each scrypt at N=2^17 holds 128 MiB and a core while it runs). */
  readonly concurrency: number;
  /** Hashes waiting for a free slot, server-wide. */
  readonly queue: number;
  /**
   * Hashes one address may have running or waiting; 0 switches the
   * per-address share off (load tests that come from one address).
   */
  readonly perAddress: number;
}

interface AddressState {
  /** Running and waiting. */
  held: number;
  running: number;
}

/**
 * The one way into password hashing (login, register, the dummy check for
 * unknown usernames): at most `concurrency` hashes run at once and at most
 * `queue` wait, so the memory scrypt takes is bounded and a wait is short;
 * past that the caller is refused at once with 503 and Retry-After rather
 * than kept waiting.
 *
 * Fairness per address: an address holds at most `perAddress` places
 * (running + waiting), runs on at most `concurrency - 1` slots when there are
 * two or more (one slot is always left for other addresses, so their login
 * starts at once however hard one address floods), and waiting hashes are
 * started round-robin by address, not first come first served.
 *
 * An IPv6 client is counted by its /64 (one subscriber's whole network), as
 * it can pick any address in it; see `addressGroup`.
 *
 * Bounds: `concurrency` running, `queue` waiting, one entry per address that
 * has a hash running or waiting.
 */
export class PasswordHashGate {
  private running = 0;
  private waitingCount = 0;
  /** Waiting starts per address; the Map's order is the round-robin order (longest unserved first). */
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly addresses = new Map<string, AddressState>();
  /** Running share of one address. */
  private readonly share: number;
  /** Recent duration of one hash, for Retry-After. */
  private averageMs = 300;

  constructor(readonly limits: PasswordHashLimits) {
    if (!(limits.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    this.share = limits.perAddress > 0 && limits.concurrency > 1 ? limits.concurrency - 1 : limits.concurrency;
  }

  /** Runs `work` (one password hash) for `address` when a slot is free; throws UnavailableError (503) when it cannot wait. */
  async run<T>(clientAddress: string, work: () => Promise<T>): Promise<T> {
    const address = addressGroup(clientAddress);
    const state = this.addresses.get(address) ?? { held: 0, running: 0 };
    if (this.limits.perAddress > 0 && state.held >= this.limits.perAddress) {
      throw new UnavailableError('too many password checks in progress from this address, retry shortly', this.retryAfter(state.held / this.share));
    }
    const startNow = this.running < this.limits.concurrency && state.running < this.share;
    if (!startNow && this.waitingCount >= this.limits.queue) {
      throw new UnavailableError('too many password checks in progress, retry shortly', this.retryAfter((this.running + this.waitingCount) / this.limits.concurrency));
    }
    state.held++;
    this.addresses.set(address, state);
    if (startNow) this.begin(state);
    else await new Promise<void>((resolve) => this.enqueue(address, resolve));
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.averageMs = this.averageMs * 0.8 + (performance.now() - started) * 0.2;
      this.running--;
      state.running--;
      if (--state.held === 0) this.addresses.delete(address);
      this.dispatch();
    }
  }

  /** Running and waiting now (for metrics and tests). */
  get load(): { running: number; waiting: number; addresses: number } {
    return { running: this.running, waiting: this.waitingCount, addresses: this.addresses.size };
  }

  private begin(state: AddressState): void {
    this.running++;
    state.running++;
  }

  private enqueue(address: string, start: () => void): void {
    const list = this.waiting.get(address);
    if (list) list.push(start);
    else this.waiting.set(address, [start]);
    this.waitingCount++;
  }

  /** Fills free slots from the waiting addresses, round-robin, skipping addresses at their running share. */
  private dispatch(): void {
    while (this.running < this.limits.concurrency && this.waitingCount > 0) {
      let picked: string | undefined;
      for (const address of this.waiting.keys()) {
        if (this.addresses.get(address)!.running < this.share) {
          picked = address;
          break;
        }
      }
      if (picked === undefined) return;
      const list = this.waiting.get(picked)!;
      const start = list.shift()!;
      this.waiting.delete(picked);
      if (list.length > 0) this.waiting.set(picked, list); // to the back of the round
      this.waitingCount--;
      this.begin(this.addresses.get(picked)!);
      start();
    }
  }

  /** Whole seconds until about `rounds` hashes per slot have finished (1–60). */
  private retryAfter(rounds: number): number {
    return Math.min(60, Math.max(1, Math.ceil((Math.max(1, rounds) * this.averageMs) / 1000)));
  }
}

/**
 * What the per-address share counts by: an IPv4 address as it is (also when
 * IPv4-mapped, ::ffff:a.b.c.d), an IPv6 address by its /64 prefix; anything
 * else (a test's label) as it is.
 */
export function addressGroup(ip: string): string {
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  if (isIP(plain) !== 6) return plain;
  const [head = '', tail] = plain.split('%')[0]!.split('::') as [string, string | undefined];
  const groups = (part: string): string[] => part.split(':').filter(Boolean).flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const left = groups(head);
  const full = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - groups(tail).length)).fill('0'), ...groups(tail)];
  return `${full.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
