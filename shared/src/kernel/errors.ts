/** Typed errors, mapped to the contract's error body in one place (http error handler). */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'INTERNAL'
  | 'UNAVAILABLE';

export const STATUS_OF_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
  get status(): number {
    return STATUS_OF_CODE[this.code];
  }
}

export class ValidationError extends AppError {
  constructor(message: string, field?: string) {
    super('VALIDATION_FAILED', message, field ? { field } : undefined);
  }
}
export class UnauthenticatedError extends AppError {
  constructor(message = 'authentication required') {
    super('UNAUTHENTICATED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'not allowed') {
    super('FORBIDDEN', message);
  }
}
export class NotFoundError extends AppError {
  constructor(what = 'resource') {
    super('NOT_FOUND', `${what} not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}
export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', 'too many requests', { retryAfterSeconds });
  }
}
export class UnavailableError extends AppError {
  /** With `retryAfterSeconds`, the answer carries Retry-After (a capacity limit that frees up soon). */
  constructor(message = 'service unavailable', readonly retryAfterSeconds?: number) {
    super('UNAVAILABLE', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });
  }
}

export function errorBody(err: AppError): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'SQLITE_BUSY', 'SQLITE_THREAD_EXITED']);

/**
 * True when an error says a dependency (database, Redis, broker) cannot be
 * reached right now: the contract answers 503 UNAVAILABLE, not 500.
 */
export function isDependencyUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
    if (e.name === 'MaxRetriesPerRequestError') return true;
    if (typeof e.message === 'string' && /Connection is closed|Command timed out|connect ECONNREFUSED|Pool is closed|Can't add new command when connection is in closed state|Stream isn't writeable/i.test(e.message)) return true;
  }
  return false;
}

/**
 * An event a consumer can never handle, however often it tries: it cannot be
 * parsed, or it is invalid for this consumer. Event-bus consumers throw it (or
 * a ValidationError) to have the event dead-lettered at once instead of
 * retried; every other error is treated as transient and retried.
 */
export class PoisonEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
