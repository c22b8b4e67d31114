/** Exponential backoff with jitter: delay for attempt n (0-based) is a random point in [base*(1-jitter), base], base = min(maxMs, initialMs * factor^n). */
export interface BackoffOptions {
  /** First delay (ms). Default 250. */
  initialMs: number;
  /** Upper bound of any delay (ms). Default 30 000. */
  maxMs: number;
  /** Growth per attempt. Default 2. */
  factor: number;
  /** Share of the delay that is random, 0..1 (1 = "full jitter"). Default 0.5. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000, factor: 2, jitter: 0.5 };

export function backoffDelay(attempt: number, options: Partial<BackoffOptions> = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const jitter = Math.min(1, Math.max(0, o.jitter));
  const n = Math.max(0, Math.floor(attempt));
  // factor^n overflows to Infinity for large n; min() keeps it at maxMs.
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, n));
  const delay = base * (1 - jitter * random());
  return Math.max(0, Math.round(delay));
}
