import type { Test } from 'tap';
import { SignJWT, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { sleep, type Session } from './client';
import { isError, ownServer, type Ctx } from './harness';

/** Access-token abuse on HTTP routes: every bad token is a 401 with the error body. */

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export async function forge(secret: string, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header }).sign(new TextEncoder().encode(secret));
}

/** The claims of a real token, to build forged ones that differ in exactly one way. */
export function claimsOf(token: string): JWTPayload {
  return decodeJwt(token);
}

export function tokensSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const secret = ctx.server.env.JWT_SECRET!;
  const me = (token: string | undefined, headers: Record<string, string> = {}) =>
    a.req('GET', '/v1/users/me', { ...(token === undefined ? {} : { token }), headers });
  const now = () => Math.floor(Date.now() / 1000);

  t.test('the issued access token is an HS256 JWT for the user', async (t) => {
    const s = await a.register();
    t.equal(decodeProtectedHeader(s.accessToken).alg, 'HS256');
    const c = claimsOf(s.accessToken);
    t.equal(c.sub, s.user.id, 'sub is the user id');
    t.equal(c.iss, 'sturdy-chat');
    t.ok(c.aud === 'sturdy-chat-api' || (Array.isArray(c.aud) && c.aud.includes('sturdy-chat-api')), 'aud');
    t.ok(typeof c.exp === 'number' && c.exp - now() <= 900 && c.exp - now() > 800, 'exp about 15 minutes ahead');
  });

  t.test('a token forged with the right secret and claims is accepted (sanity for the cases below)', async (t) => {
    const s = await a.register();
    const res = await me(await forge(secret, claimsOf(s.accessToken)));
    t.equal(res.status, 200);
  });

  t.test('missing, non-Bearer and empty Authorization are 401', async (t) => {
    const s = await a.register();
    isError(t, await me(undefined), 401, 'UNAUTHENTICATED', undefined, 'none');
    isError(t, await me(undefined, { authorization: `Basic ${s.accessToken}` }), 401, 'UNAUTHENTICATED', undefined, 'Basic');
    isError(t, await me(undefined, { authorization: s.accessToken }), 401, 'UNAUTHENTICATED', undefined, 'no scheme');
    isError(t, await me(undefined, { authorization: 'Bearer' }), 401, 'UNAUTHENTICATED', undefined, 'Bearer alone');
    isError(t, await me(undefined, { authorization: 'Bearer ' }), 401, 'UNAUTHENTICATED', undefined, 'Bearer and space');
    isError(t, await me('not.a.jwt'), 401, 'UNAUTHENTICATED', undefined, 'garbage');
    isError(t, await me('x'.repeat(5000)), 401, 'UNAUTHENTICATED', undefined, 'long garbage');
  });

  t.test('alg "none" is 401', async (t) => {
    const s = await a.register();
    const claims = claimsOf(s.accessToken);
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    isError(t, await me(unsigned), 401, 'UNAUTHENTICATED', undefined, 'alg none, empty signature');
    const withSig = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.${s.accessToken.split('.')[2]}`;
    isError(t, await me(withSig), 401, 'UNAUTHENTICATED', undefined, 'alg none with a signature');
    const NONE = `${b64url({ alg: 'NONE' })}.${b64url(claims)}.`;
    isError(t, await me(NONE), 401, 'UNAUTHENTICATED', undefined, 'alg NONE');
  });

  t.test('a tampered payload or signature is 401', async (t) => {
    const s = await a.register();
    const o = await a.register();
    const [h, p, sig] = s.accessToken.split('.') as [string, string, string];
    const swapped = `${h}.${b64url({ ...claimsOf(s.accessToken), sub: o.user.id })}.${sig}`;
    isError(t, await me(swapped), 401, 'UNAUTHENTICATED', undefined, 'sub changed, signature kept');
    const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA');
    isError(t, await me(`${h}.${p}.${flipped}`), 401, 'UNAUTHENTICATED', undefined, 'signature changed');
    isError(t, await me(`${h}.${p}.`), 401, 'UNAUTHENTICATED', undefined, 'signature removed');
    const other = await forge('another-secret-another-secret-another', claimsOf(s.accessToken));
    isError(t, await me(other), 401, 'UNAUTHENTICATED', undefined, 'signed with another secret');
  });

  t.test('expired, not-yet-valid, wrong issuer and wrong audience are 401', async (t) => {
    const s = await a.register();
    const c = claimsOf(s.accessToken);
    const cases: Array<[string, JWTPayload]> = [
      ['expired', { ...c, iat: now() - 3600, exp: now() - 60 }],
      ['not before in the future', { ...c, nbf: now() + 3600 }],
      ['wrong issuer', { ...c, iss: 'someone-else' }],
      ['no issuer', { ...c, iss: undefined }],
      ['wrong audience', { ...c, aud: 'another-api' }],
      ['no audience', { ...c, aud: undefined }],
      ['no sub', { ...c, sub: undefined }],
      ['no exp', { ...c, exp: undefined }],
    ];
    for (const [what, claims] of cases) isError(t, await me(await forge(secret, claims)), 401, 'UNAUTHENTICATED', undefined, what);
  });

  t.test('a refresh token is not an access token', async (t) => {
    const s = await a.register();
    isError(t, await me(s.refreshToken), 401, 'UNAUTHENTICATED');
  });

  t.test('an access token is not a refresh token', async (t) => {
    const s = await a.register();
    isError(t, await a.refresh(s.accessToken), 401, 'UNAUTHENTICATED');
  });

  t.test('by default there is no reuse grace: a refresh token presented again at once revokes the login', async (t) => {
    const s = await a.register();
    const [one, two] = await Promise.all([a.refresh(s.refreshToken), a.refresh(s.refreshToken)]);
    const won = [one, two].filter((r) => r.status === 200);
    t.ok(won.length <= 1, `at most one of two concurrent refreshes succeeds (${one.status}, ${two.status})`);
    for (const w of won) isError(t, await a.refresh(w.body.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'the winner\'s token is revoked');
  });

  t.test('with REFRESH_REUSE_GRACE_SECONDS, two tabs refreshing one token at once both get a pair of the same login', async (t) => {
    const own = await ownServer(t, ctx, { REFRESH_REUSE_GRACE_SECONDS: '3', REFRESH_REUSE_GRACE_REISSUES: '1' });
    const b = own.api;

    t.test('concurrent presentations: both succeed and both new tokens keep working', async (t) => {
      const s = await b.register();
      const [one, two] = await Promise.all([b.refresh(s.refreshToken), b.refresh(s.refreshToken)]);
      t.equal(one.status, 200, 'first tab');
      t.equal(two.status, 200, 'second tab');
      t.not(one.body.refreshToken, two.body.refreshToken, 'two different refresh tokens');
      t.equal((await b.req('GET', '/v1/users/me', { token: two.body.accessToken })).status, 200, 'the access token works');
      t.equal((await b.refresh(one.body.refreshToken)).status, 200, 'the first tab refreshes again');
      t.equal((await b.refresh(two.body.refreshToken)).status, 200, 'the second tab refreshes again');
      await b.ok(204, 'POST', '/v1/auth/logout', { body: { refreshToken: s.refreshToken } });
      isError(t, await b.refresh(one.body.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'logout revokes the pairs of both tabs');
    });

    t.test('a presentation right after a refresh, within the window, gets a pair once', async (t) => {
      const s = await b.register();
      const first = await b.refresh(s.refreshToken);
      const again = await b.refresh(s.refreshToken);
      t.equal(first.status, 200);
      t.equal(again.status, 200, 'the second presentation within the window');
      isError(t, await b.refresh(s.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'a third presentation (beyond REFRESH_REUSE_GRACE_REISSUES) is reuse');
      isError(t, await b.refresh(first.body.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'and revokes the whole login');
      isError(t, await b.refresh(again.body.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'the grace pair too');
    });

    t.test('once the login has moved on, the old token is reuse even within the window', async (t) => {
      const s = await b.register();
      const r2 = (await b.refresh(s.refreshToken)).body.refreshToken;
      const r3 = (await b.refresh(r2)).body.refreshToken;
      isError(t, await b.refresh(s.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'a token two rotations old');
      isError(t, await b.refresh(r3), 401, 'UNAUTHENTICATED', undefined, 'revoked the login');
    });

    t.test('after the window, reuse revokes the whole login', async (t) => {
      const s = await b.register();
      const r2 = (await b.refresh(s.refreshToken)).body.refreshToken;
      await sleep(3500);
      isError(t, await b.refresh(s.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'reuse after the window');
      isError(t, await b.refresh(r2), 401, 'UNAUTHENTICATED', undefined, 'the newest token of that login is revoked');
    });
  });

  t.test('access tokens expire after ACCESS_TOKEN_TTL_SECONDS', async (t) => {
    const short = await ownServer(t, ctx, { ACCESS_TOKEN_TTL_SECONDS: '2' });
    const s: Session = await short.api.register();
    t.equal(s.expiresIn, 2, 'expiresIn follows the configured TTL');
    t.equal((await short.api.req('GET', '/v1/users/me', { token: s.accessToken })).status, 200, 'valid at first');
    await sleep(3500);
    isError(t, await short.api.req('GET', '/v1/users/me', { token: s.accessToken }), 401, 'UNAUTHENTICATED', undefined, 'after the TTL');
    const fresh = await short.api.refresh(s.refreshToken);
    t.equal(fresh.status, 200, 'the refresh token still works');
    t.equal((await short.api.req('GET', '/v1/users/me', { token: fresh.body.accessToken })).status, 200, 'the refreshed token works');
  });
}
