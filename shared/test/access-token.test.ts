import t from 'tap';
import { SignJWT, UnsecuredJWT } from 'jose';
import { AccessTokens, bearerToken } from '../src/auth/access-token';
import { judgeRefreshToken } from '../src/auth/refresh-token';
import { hashPassword, verifyPassword } from '../src/auth/password';

const config = { secret: 'x'.repeat(40), issuer: 'iss-a', audience: 'aud-a', accessTtlSeconds: 60 };
const tokens = new AccessTokens(config);
const key = new TextEncoder().encode(config.secret);

t.test('a token we issued verifies and names its user', async (t) => {
  const claims = await tokens.verify(await tokens.issue('u1'));
  t.equal(claims.userId, 'u1');
});

t.test('tokens that must be refused', async (t) => {
  const good = await tokens.issue('u1');
  const [h, p, s] = good.split('.');
  const refused = {
    'alg none': new UnsecuredJWT({ sub: 'u1' }).setIssuer('iss-a').setAudience('aud-a').setExpirationTime('1h').encode(),
    tampered: `${h}.${Buffer.from(JSON.stringify({ sub: 'u2', iss: 'iss-a', aud: 'aud-a', exp: 9e9 })).toString('base64url')}.${s}`,
    'bad signature': `${h}.${p}.${s!.slice(0, -4)}AAAA`,
    expired: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuer('iss-a').setAudience('aud-a').setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(key),
    'wrong audience': await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuer('iss-a').setAudience('other').setExpirationTime('1h').sign(key),
    'wrong issuer': await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuer('other').setAudience('aud-a').setExpirationTime('1h').sign(key),
    'no exp': await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuer('iss-a').setAudience('aud-a').sign(key),
    'other algorithm': await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('u1').setIssuer('iss-a').setAudience('aud-a').setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(64))),
    garbage: 'not.a.jwt',
  };
  for (const [name, token] of Object.entries(refused)) await t.rejects(tokens.verify(token), { code: 'UNAUTHENTICATED' }, name);
});

t.test('bearer header parsing', async (t) => {
  t.equal(bearerToken('Bearer abc'), 'abc');
  t.equal(bearerToken('bearer abc'), 'abc');
  t.equal(bearerToken('Basic abc'), undefined);
  t.equal(bearerToken('Bearer'), undefined);
});

t.test('refresh rotation rule: a used token presented again is reuse', async (t) => {
  const now = 1000;
  t.equal(judgeRefreshToken({ used_at: null, revoked_at: null, expires_at: 2000 }, now), 'valid');
  t.equal(judgeRefreshToken({ used_at: 900, revoked_at: null, expires_at: 2000 }, now), 'reused');
  t.equal(judgeRefreshToken({ used_at: null, revoked_at: 900, expires_at: 2000 }, now), 'revoked');
  t.equal(judgeRefreshToken({ used_at: null, revoked_at: null, expires_at: 1000 }, now), 'expired');
});

t.test('passwords: scrypt N=2^17, NFC-insensitive, wrong password refused', async (t) => {
  const stored = await hashPassword('pässword');
  t.match(stored, /^scrypt\$131072\$8\$1\$/);
  t.ok(await verifyPassword('pa\u0308ssword', stored), 'NFD form of the same password');
  t.notOk(await verifyPassword('password', stored));
});
