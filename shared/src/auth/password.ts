import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** OWASP scrypt parameters: N=2^17, r=8, p=1 (128 MiB per hash). */
export const DEFAULT_LOG_N = 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Format: scrypt$N$r$p$salt$hash (base64url), so parameters can change later
 * and old hashes still verify. `logN` below 17 is for load tests only.
 */
export async function hashPassword(password: string, logN = DEFAULT_LOG_N): Promise<string> {
  const n = 2 ** logN;
  const salt = randomBytes(16);
  const key = await derive(password, salt, n, R, P);
  return ['scrypt', n, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  const expected = Buffer.from(hash, 'base64url');
  return expected.length === key.length && timingSafeEqual(expected, key);
}

const dummyHashes = new Map<number, Promise<string>>();
/**
 * Spends the same time as a real check, so an unknown username is not told
 * apart by timing: pass the cost real hashes are made with (`logN`).
 */
export async function verifyAgainstDummy(password: string, logN = DEFAULT_LOG_N): Promise<false> {
  let dummy = dummyHashes.get(logN);
  if (!dummy) dummyHashes.set(logN, (dummy = hashPassword('dummy-password-for-timing', logN)));
  await verifyPassword(password, await dummy);
  return false;
}
