import { createHash, randomBytes } from 'node:crypto';

/** A refresh token is 256 random bits; only its SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type RefreshVerdict = 'valid' | 'expired' | 'revoked' | 'reused' | 'reused-in-grace';

/**
 * The rotation rule, pure: a used token presented again is reuse, which
 * revokes the whole login. With a grace window (`graceMs` > 0, off by
 * default), a used token presented again within `graceMs` of its first use,
 * and before it expires, is 'reused-in-grace': the caller may answer with a
 * fresh pair of the same login instead, if the login has not moved on since
 * and only a bounded number of times (see AuthService.refresh).
 */
export function judgeRefreshToken(row: { used_at: number | null; revoked_at: number | null; expires_at: number }, now: number, graceMs = 0): RefreshVerdict {
  if (row.revoked_at !== null) return 'revoked';
  if (row.used_at !== null) return graceMs > 0 && now - row.used_at <= graceMs && row.expires_at > now ? 'reused-in-grace' : 'reused';
  if (row.expires_at <= now) return 'expired';
  return 'valid';
}

/**
 * The id of the k-th pair a spent token may still get within the grace
 * window (k = 1, 2, …): derived from the spent token's id, so the primary key
 * makes claiming it atomic on every database and the number of such pairs is
 * bounded however many requests race. UUID-shaped, like every other id.
 */
export function graceTokenId(spentTokenId: string, k: number): string {
  const h = createHash('sha256').update(`${spentTokenId}:grace:${k}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
