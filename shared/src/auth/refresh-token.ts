import { createHash, randomBytes } from 'node:crypto';

/** A refresh token is 256 random bits; only its SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type RefreshVerdict = 'valid' | 'expired' | 'revoked' | 'reused';

/** The rotation rule, pure: a used token presented again is reuse, which revokes the whole login. */
export function judgeRefreshToken(row: { used_at: number | null; revoked_at: number | null; expires_at: number }, now: number): RefreshVerdict {
  if (row.revoked_at !== null) return 'revoked';
  if (row.used_at !== null) return 'reused';
  if (row.expires_at <= now) return 'expired';
  return 'valid';
}
