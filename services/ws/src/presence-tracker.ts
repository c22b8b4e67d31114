import type { Presence } from '@chat/shared/ports/presence';
import type { Background } from './background';

export type PublishSignal = (type: string, key: string, payload: object) => Promise<void>;

/** One socket's lease in the shared presence store. */
interface Lease {
  readonly userId: string;
  readonly socketId: string;
  closed: boolean;
  /** Settles (never rejects) once the lease is taken, or given up because the socket closed. */
  taken: Promise<void>;
  /** Cuts a retry pause short (the socket closed). */
  wake?: () => void;
}

/** Longest pause between two attempts at a lease while presence is down. */
const MAX_RETRY_MS = 10_000;
/** Attempts at a presence frame's publish, and at giving a lease back. */
const ATTEMPTS = 3;

/**
 * Presence is best effort: a socket is served whether or not its lease could
 * be taken. A lease that fails is retried with backoff until it is taken or
 * the socket closes; a presence frame that cannot be published is retried a
 * few times, then skipped. Nothing here ever rejects to its caller.
 */
export class PresenceTracker {
  /** Leases being taken (or retried), by socket id; a socket whose lease is taken costs nothing here. */
  private readonly taking = new Map<string, Lease>();

  constructor(
    private readonly presence: Presence,
    private readonly publish: PublishSignal,
    private readonly background: Background,
    private readonly firstRetryMs: number,
  ) {}

  /** A socket is ready: takes its lease and, when it is the user's first socket, tells co-members the user is online. */
  online(userId: string, socketId: string): void {
    const lease: Lease = { userId, socketId, closed: false, taken: Promise.resolve() };
    this.taking.set(socketId, lease);
    lease.taken = this.take(lease)
      .catch((err: unknown) => this.background.report('presence online', err))
      .finally(() => {
        if (this.taking.get(socketId) === lease) this.taking.delete(socketId);
      });
  }

  /** A socket closed: gives its lease back (once any attempt at taking it is over) and, when it was the user's last, says offline. */
  offline(userId: string, socketId: string): void {
    const lease = this.taking.get(socketId);
    if (lease) {
      this.taking.delete(socketId);
      lease.closed = true;
      lease.wake?.();
    }
    this.background.run('presence offline', async () => {
      await lease?.taken;
      const { last } = await this.attempts('presence disconnect', () => this.presence.disconnect(userId, socketId), () => false).catch(() => ({ last: false }));
      if (last) await this.signal(userId, 'offline', () => false);
    });
  }

  /** Renews the leases of this instance's sockets (best effort: a lease not renewed ages out of the store). */
  heartbeat(sockets: Array<[userId: string, socketId: string]>): void {
    this.background.run('presence heartbeat', () => this.presence.heartbeat(sockets));
  }

  private async take(lease: Lease): Promise<void> {
    for (let delay = this.firstRetryMs; !lease.closed; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      let first: boolean;
      try {
        ({ first } = await this.presence.connect(lease.userId, lease.socketId));
      } catch (err) {
        this.background.report('presence connect', err);
        await this.pause(lease, delay);
        continue;
      }
      if (first && !lease.closed) await this.signal(lease.userId, 'online', () => lease.closed);
      return;
    }
  }

  private async signal(userId: string, status: 'online' | 'offline', stop: () => boolean): Promise<void> {
    await this.attempts(`presence ${status} frame`, () => this.publish('presence.changed', userId, { userId, status }), stop).catch(() => undefined);
  }

  /** `work` up to ATTEMPTS times with backoff, until `stop()`; rejects with the last failure. */
  private async attempts<T>(what: string, work: () => Promise<T>, stop: () => boolean): Promise<T> {
    for (let attempt = 1, delay = this.firstRetryMs; ; attempt++, delay *= 2) {
      try {
        return await work();
      } catch (err) {
        this.background.report(what, err);
        if (attempt >= ATTEMPTS || stop()) throw err;
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private pause(lease: Lease, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancel = this.background.after(ms, 'presence retry', () => resolve());
      lease.wake = () => (cancel(), resolve());
    });
  }
}
