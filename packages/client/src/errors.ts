/** An error answer of the chat API (HTTP `{"error":{code,message,details}}` or a WebSocket error frame), or a client-side failure (`status` 0). */
export class ChatApiError extends Error {
  override readonly name = 'ChatApiError';
  constructor(
    /** HTTP status; 0 when no HTTP answer is behind it (WebSocket error frame, timeout, closed client). */
    readonly status: number,
    /** The contract's code (`VALIDATION_FAILED`, `NOT_FOUND`, …), or a client code: `TIMEOUT`, `CLOSED`, `NETWORK`, `TOO_MANY_SOCKETS`, `AUTH_FAILED`, `BUFFER_OVERFLOW`. */
    readonly code: string,
    message: string,
    /** The field a 400 names (`details.field`), when the server said. */
    readonly field?: string,
    /** Seconds from `Retry-After`, on 429/503. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Codes a send must not retry: the same frame would fail the same way. */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set(['VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'PAYLOAD_TOO_LARGE', 'CONFLICT', 'UNAUTHENTICATED']);

/** Builds a ChatApiError from an HTTP error answer (whatever its body). */
export function errorFromResponse(res: Response, body: unknown): ChatApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: { field?: unknown } } } | undefined)?.error;
  const code = typeof err?.code === 'string' ? err.code : res.status >= 500 ? 'INTERNAL' : 'HTTP_' + res.status;
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${res.status} ${res.statusText}`.trim();
  const field = typeof err?.details?.field === 'string' ? err.details.field : undefined;
  const ra = Number(res.headers.get('retry-after'));
  return new ChatApiError(res.status, code, message, field, Number.isFinite(ra) && ra > 0 ? ra : undefined);
}
