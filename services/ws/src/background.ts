import { AppError, isDependencyUnavailable } from '@chat/shared/kernel/errors';

export interface WsLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** One kind of outage is logged at most this often: a Redis blip is a line, not a line per socket. */
const WARN_EVERY_MS = 10_000;

/** A dependency that is down or too slow (not a bug): the contract's UNAVAILABLE. */
export function isOutage(err: unknown): boolean {
  return isDependencyUnavailable(err) || (err instanceof AppError && err.code === 'UNAVAILABLE');
}

/**
 * Work nobody awaits: timers, socket and bus callbacks, fire-and-forget calls.
 * Everything the ws service starts without awaiting runs through here, so a
 * throw or a rejection is logged and never unhandled (an unhandled rejection
 * stops the process and drops every socket with it).
 */
export class Background {
  private readonly warned = new Map<string, { at: number; since: number }>();

  constructor(readonly log: WsLog) {}

  /** Runs `work` now without waiting for it. */
  run(what: string, work: () => unknown): void {
    try {
      const result = work();
      if (result instanceof Promise) result.catch((err: unknown) => this.report(what, err));
    } catch (err) {
      this.report(what, err);
    }
  }

  /** Runs `work` every `ms` (never keeping the process alive); returns the stop function. */
  every(ms: number, what: string, work: () => unknown): () => void {
    const timer = setInterval(() => this.run(what, work), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Runs `work` once after `ms`; returns the cancel function. */
  after(ms: number, what: string, work: () => unknown): () => void {
    const timer = setTimeout(() => this.run(what, work), ms);
    timer.unref();
    return () => clearTimeout(timer);
  }

  /** Logs a failure: an outage as a warning (at most one per WARN_EVERY_MS for each `what`), anything else as an error. */
  report(what: string, err: unknown): void {
    if (!isOutage(err)) return this.log.error({ err }, `ws: ${what} failed`);
    const now = Date.now();
    const last = this.warned.get(what);
    if (last && now - last.at < WARN_EVERY_MS) {
      last.since++;
      return;
    }
    this.warned.set(what, { at: now, since: 0 });
    this.log.warn({ err, suppressedSinceLast: last?.since ?? 0 }, `ws: ${what} failed: a dependency is unavailable`);
  }
}
