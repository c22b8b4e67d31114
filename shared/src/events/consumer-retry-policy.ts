import { AppError, isDependencyUnavailable, PoisonEventError } from '../kernel/errors';

/**
 * How a consumer treats a failed event. `deterministic`: it would fail the
 * same way every time (undecodable, invalid), so it goes to the dead-letter
 * topic at once. `transient`: everything else — a dependency that is down or
 * slow, and any error not known to be deterministic — so it is retried, with
 * backoff, for as long as it takes.
 */
export type FailureKind = 'deterministic' | 'transient';

export interface FailureClass {
  readonly kind: FailureKind;
  /** For logs: why it was classified so. */
  readonly reason: 'poison' | 'invalid' | 'dependency-unavailable' | 'unknown';
}

const TIMEOUT_NAMES = new Set(['TimeoutError', 'ConnectionError', 'NoLivingConnectionsError', 'AbortError', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded']);
const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A dependency that cannot be reached, or answered "try again later" (timeouts, 429/5xx, retriable broker errors). */
export function isTransientDependencyFailure(err: unknown): boolean {
  if (isDependencyUnavailable(err)) return true;
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && typeof e === 'object' && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.name === 'string' && TIMEOUT_NAMES.has(e.name)) return true;
    if (e.retriable === true) return true;
    if (typeof e.statusCode === 'number' && TRANSIENT_STATUS.has(e.statusCode)) return true;
    if (e instanceof AppError && e.code === 'UNAVAILABLE') return true;
  }
  return false;
}

export function classifyFailure(err: unknown): FailureClass {
  if (err instanceof PoisonEventError) return { kind: 'deterministic', reason: 'poison' };
  if (err instanceof AppError && err.code === 'VALIDATION_FAILED') return { kind: 'deterministic', reason: 'invalid' };
  return { kind: 'transient', reason: isTransientDependencyFailure(err) ? 'dependency-unavailable' : 'unknown' };
}

/** Delay before attempt `failures + 1`: base · 2^(failures−1), capped. */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
