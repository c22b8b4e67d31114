import type { Test } from 'tap';
import { PASSWORD, uname } from './client';
import { isError, isoUtc, type Ctx } from './harness';

/** Register, login, refresh rotation and reuse detection, logout, users. */
export function authSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;
  const register = (body: unknown) => a.req('POST', '/v1/auth/register', { body });

  t.test('register answers 201 with user, tokens and expiresIn', async (t) => {
    const name = uname();
    const res = await register({ username: name, password: PASSWORD, displayName: 'Alice 앨리스' });
    t.equal(res.status, 201);
    const { user, accessToken, refreshToken, expiresIn } = res.body;
    t.match(user, { username: name, displayName: 'Alice 앨리스' });
    t.type(user.id, 'string');
    t.ok(isoUtc(user.createdAt), 'createdAt is ISO-8601 UTC');
    t.type(accessToken, 'string');
    t.type(refreshToken, 'string');
    t.equal(expiresIn, 900, 'access tokens last 15 minutes by default');
    t.notOk('password' in user || 'passwordHash' in user, 'no password in the user object');
  });

  t.test('displayName defaults to the username', async (t) => {
    const s = await a.register();
    t.equal(s.user.displayName, s.user.username);
  });

  t.test('username is case-insensitive: stored lower-case, duplicates in any case are 409', async (t) => {
    const name = uname();
    const res = await register({ username: name.toUpperCase(), password: PASSWORD });
    t.equal(res.status, 201);
    t.equal(res.body.user.username, name, 'stored lower-case');
    isError(t, await register({ username: name, password: PASSWORD }), 409, 'CONFLICT', undefined, 'same name');
    const mixed = name.slice(0, 4).toUpperCase() + name.slice(4);
    isError(t, await register({ username: mixed, password: PASSWORD }), 409, 'CONFLICT', undefined, 'other case');
    t.equal((await a.login(mixed)).status, 200, 'login is case-insensitive too');
  });

  t.test('username rules: 3–32 of a-z 0-9 _ . -', async (t) => {
    const base = uname().slice(2, 10);
    const ok = [base.slice(0, 3), `${base}.x-y_z`, (base + 'a'.repeat(32)).slice(0, 32)];
    for (const username of ok) t.equal((await register({ username, password: PASSWORD })).status, 201, `accepts ${username}`);
    const bad = ['ab', 'a'.repeat(33), `${base} x`, `${base}@x`, `${base}/x`, `서버${base}`, `${base}é`, '', `${base}\n`];
    for (const username of bad) {
      isError(t, await register({ username, password: PASSWORD }), 400, 'VALIDATION_FAILED', 'username', JSON.stringify(username));
    }
  });

  t.test('password is 8–128 characters, counted in code points', async (t) => {
    const tries: Array<[string, number]> = [
      ['1234567', 400],
      ['12345678', 201],
      ['p'.repeat(128), 201],
      ['p'.repeat(129), 400],
      ['😀'.repeat(7), 400],
      ['😀'.repeat(8), 201],
      ['😀'.repeat(128), 201],
    ];
    for (const [password, status] of tries) {
      const res = await register({ username: uname(), password });
      if (status === 400) isError(t, res, 400, 'VALIDATION_FAILED', 'password', `${[...password].length} code points`);
      else t.equal(res.status, status, `${[...password].length} code points (${password.length} UTF-16 units) accepted`);
    }
    const emoji = await a.register(uname(), { password: '😀'.repeat(8) });
    t.equal((await a.login(emoji.user.username, '😀'.repeat(8))).status, 200, 'emoji password logs in');
  });

  t.test('displayName is 1–64 characters', async (t) => {
    for (const displayName of ['', 'd'.repeat(65), '가'.repeat(65)]) {
      isError(t, await register({ username: uname(), password: PASSWORD, displayName }), 400, 'VALIDATION_FAILED', 'displayName');
    }
    for (const displayName of ['d', 'd'.repeat(64), '😀'.repeat(64)]) {
      const res = await register({ username: uname(), password: PASSWORD, displayName });
      t.equal(res.status, 201, `${[...displayName].length} code points accepted`);
      t.equal(res.body.user?.displayName, displayName);
    }
  });

  t.test('displayName with bidi controls, invisible or control characters is 400 naming displayName', async (t) => {
    // Labels spell every non-ASCII code point (a raw U+2028 would break a TAP line).
    const label = (s: string) => [...s].map((c) => (/[\x20-\x7e]/.test(c) ? c : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)).join(' ');
    const bad = [
      '\u202Eadmin', 'ad\u202Dmin', 'x\u202A', '\u2066x', 'x\u2069', '\u200Eadmin', 'admin\u200F', 'a\u061Cb', // bidi controls
      '\u200B\u200B', 'ad\u200Bmin', '\uFEFFadmin', 'a\u2060b', 'a\u2061', '\u2064', 'x\u180E', '\u3164', '\u115F\u1160', '\uFFA0', // invisible
      '\u200C', '\u200D', 'x\u200D', '\u200Dx', 'a\u00ADb', '\u034F', '\uFE0F', '\u2800', // joiners out of context, soft hyphen, lone selectors, blank
      'a\u0000b', 'tab\there', 'new\nline', 'a\u007Fb', 'c1\u0085', 'c1\u009B', 'line\u2028sep', // control characters
      ' \u200B ', '\u3000\u200B', // only whitespace and invisibles
    ];
    for (const displayName of bad) {
      const res = await register({ username: uname(), password: PASSWORD, displayName });
      isError(t, res, 400, 'VALIDATION_FAILED', 'displayName', label(displayName));
    }
    const good = ['Alice', '앨리스', 'José 한', '👩‍💻 dev', '👨‍👩‍👧', '❤️', 'می‌خواهم', 'שלום', 'مرحبا', 'a b'];
    for (const displayName of good) {
      const res = await register({ username: uname(), password: PASSWORD, displayName });
      t.equal(res.status, 201, `${label(displayName)} accepted (${res.status === 201 ? '' : res.text.slice(0, 120)})`);
    }
  });

  t.test('displayName is stored in NFC', async (t) => {
    const res = await register({ username: uname(), password: PASSWORD, displayName: 'Jose\u0301 \u1112\u1161\u11ab' });
    t.equal(res.body.user?.displayName, 'José 한');
  });

  t.test('login answers 200 with the register shape', async (t) => {
    const s = await a.register();
    const res = await a.login(s.user.username);
    t.equal(res.status, 200);
    t.same(res.body.user, s.user);
    t.type(res.body.accessToken, 'string');
    t.type(res.body.refreshToken, 'string');
    t.equal(res.body.expiresIn, 900);
    const me = await a.req('GET', '/v1/users/me', { token: res.body.accessToken });
    t.same(me.body, { user: s.user }, 'the login access token works');
  });

  t.test('passwords are taken exactly as sent (no trimming, no case folding)', async (t) => {
    const s = await a.register(uname(), { password: '  Spaced Pass  ' });
    t.equal((await a.login(s.user.username, '  Spaced Pass  ')).status, 200, 'exact password');
    t.equal((await a.login(s.user.username, 'Spaced Pass')).status, 401, 'trimmed password');
    t.equal((await a.login(s.user.username, '  spaced pass  ')).status, 401, 'lower-cased password');
  });

  t.test('login: wrong password and unknown user are the same 401', async (t) => {
    const s = await a.register();
    const wrong = await a.login(s.user.username, 'not the password');
    const unknown = await a.login(uname(), PASSWORD);
    isError(t, wrong, 401, 'UNAUTHENTICATED', undefined, 'wrong password');
    isError(t, unknown, 401, 'UNAUTHENTICATED', undefined, 'unknown user');
    t.same(wrong.body, unknown.body, 'no hint which one was wrong');
  });

  t.test('token answers are never cached: Cache-Control no-store on register, login and refresh', async (t) => {
    const name = uname();
    const reg = await register({ username: name, password: PASSWORD });
    const login = await a.login(name);
    const refresh = await a.refresh(login.body.refreshToken);
    for (const [what, res, status] of [['register', reg, 201], ['login', login, 200], ['refresh', refresh, 200]] as const) {
      t.equal(res.status, status, `${what} answers ${status}`);
      t.match(res.headers.get('cache-control') ?? '', /\bno-store\b/, `${what}: Cache-Control no-store`);
      t.equal(res.headers.get('pragma'), 'no-cache', `${what}: Pragma no-cache`);
    }
  });

  t.test('refresh rotates: new pair works, the old refresh token is 401', async (t) => {
    const s = await a.register();
    const res = await a.refresh(s.refreshToken);
    t.equal(res.status, 200);
    t.type(res.body.accessToken, 'string');
    t.type(res.body.refreshToken, 'string');
    t.equal(res.body.expiresIn, 900);
    t.not(res.body.refreshToken, s.refreshToken, 'a new refresh token');
    t.equal((await a.req('GET', '/v1/users/me', { token: res.body.accessToken })).status, 200, 'new access token works');
    const again = await a.refresh(res.body.refreshToken);
    t.equal(again.status, 200, 'the new refresh token works');
    isError(t, await a.refresh(s.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'old token');
  });

  t.test('refresh-token reuse is 401 and revokes the newest token of that login', async (t) => {
    const s = await a.register();
    const other = (await a.login(s.user.username)).body; // a second, independent login
    const r2 = (await a.refresh(s.refreshToken)).body.refreshToken;
    const r3 = (await a.refresh(r2)).body.refreshToken;
    t.type(r3, 'string');
    isError(t, await a.refresh(s.refreshToken), 401, 'UNAUTHENTICATED', undefined, 'reused token');
    isError(t, await a.refresh(r3), 401, 'UNAUTHENTICATED', undefined, 'newest token of that login after reuse');
    t.equal((await a.refresh(other.refreshToken)).status, 200, 'another login of the same user is untouched');
  });

  t.test('refresh with a garbage or missing token', async (t) => {
    isError(t, await a.refresh('garbage'), 401, 'UNAUTHENTICATED');
    isError(t, await a.req('POST', '/v1/auth/refresh', { body: {} }), 400, 'VALIDATION_FAILED', 'refreshToken');
    isError(t, await a.req('POST', '/v1/auth/refresh', { body: { refreshToken: 5 } }), 400, 'VALIDATION_FAILED', 'refreshToken');
  });

  t.test('logout answers 204 and revokes every refresh token of that login', async (t) => {
    const s = await a.register();
    const r2 = (await a.refresh(s.refreshToken)).body.refreshToken;
    const res = await a.req('POST', '/v1/auth/logout', { body: { refreshToken: r2 } });
    t.equal(res.status, 204);
    t.equal(res.text, '', 'no body');
    isError(t, await a.refresh(r2), 401, 'UNAUTHENTICATED', undefined, 'after logout');
    const me = await a.req('GET', '/v1/users/me', { token: s.accessToken });
    t.equal(me.status, 200, 'issued access tokens run out on their own');
  });

  t.test('logout always answers 204', async (t) => {
    const s = await a.register();
    for (const refreshToken of ['garbage', '', s.refreshToken, s.refreshToken]) {
      const res = await a.req('POST', '/v1/auth/logout', { body: { refreshToken } });
      t.equal(res.status, 204, `logout with ${JSON.stringify(refreshToken.slice(0, 10))}`);
    }
    const withBearerGarbage = await a.req('POST', '/v1/auth/logout', { token: 'garbage', body: { refreshToken: 'x' } });
    t.equal(withBearerGarbage.status, 204, 'even with a garbage Authorization header');
  });

  t.test('logout answers 204 to a malformed body too', async (t) => {
    const s = await a.register();
    const cases: Array<[string, { rawBody?: string; headers?: Record<string, string> }]> = [
      ['invalid JSON', { rawBody: '{"refreshToken":' }],
      ['not JSON at all', { rawBody: 'not json' }],
      ['an empty JSON body', { rawBody: '' }],
      ['no body and no content-type', {}],
      ['a JSON array', { rawBody: '[]' }],
      ['JSON null', { rawBody: 'null' }],
      ['a number token', { rawBody: '{"refreshToken":5}' }],
      ['text/plain', { rawBody: JSON.stringify({ refreshToken: 'x' }), headers: { 'content-type': 'text/plain' } }],
      ['form-encoded', { rawBody: 'refreshToken=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
      ['an unknown media type', { rawBody: '\u0000\u0001', headers: { 'content-type': 'application/octet-stream' } }],
      ['a broken content-type', { rawBody: '{}', headers: { 'content-type': ';;;' } }],
    ];
    for (const [what, opts] of cases) {
      const res = await a.req('POST', '/v1/auth/logout', opts);
      t.equal(res.status, 204, `${what} → 204 (${res.text.slice(0, 120)})`);
    }
    const typed = await a.req('POST', '/v1/auth/logout', { rawBody: JSON.stringify({ refreshToken: s.refreshToken }), headers: { 'content-type': 'text/plain;charset=utf-8' } });
    t.equal(typed.status, 204, 'a JSON body sent as text/plain');
    t.equal((await a.refresh(s.refreshToken)).status, 200, 'a body that is not application/json does not log out');
  });

  t.test('GET /v1/users/me and /v1/users/:id', async (t) => {
    const s = await a.register();
    const o = await a.register();
    const me = await a.req('GET', '/v1/users/me', { token: s.accessToken });
    t.equal(me.status, 200);
    t.same(me.body, { user: s.user });
    const other = await a.req('GET', `/v1/users/${o.user.id}`, { token: s.accessToken });
    t.equal(other.status, 200);
    t.same(other.body, { user: o.user });
    for (const id of ['00000000-0000-7000-8000-000000000000', 'nope', '1', 'x'.repeat(300)]) {
      isError(t, await a.req('GET', `/v1/users/${id}`, { token: s.accessToken }), 404, 'NOT_FOUND', undefined, id.slice(0, 40));
    }
    isError(t, await a.req('GET', `/v1/users/${o.user.id}`), 401, 'UNAUTHENTICATED', undefined, 'no token');
  });

  t.test('GET /v1/users?username= finds by name, case-insensitively', async (t) => {
    const s = await a.register();
    const o = await a.register();
    const res = await a.req('GET', `/v1/users?username=${o.user.username}`, { token: s.accessToken });
    t.equal(res.status, 200);
    t.same(res.body, { user: o.user });
    const upper = await a.req('GET', `/v1/users?username=${o.user.username.toUpperCase()}`, { token: s.accessToken });
    t.same(upper.body, { user: o.user }, 'upper-case lookup');
    isError(t, await a.req('GET', `/v1/users?username=${uname()}`, { token: s.accessToken }), 404, 'NOT_FOUND');
    isError(t, await a.req('GET', `/v1/users?username=${o.user.username}`), 401, 'UNAUTHENTICATED');
  });
}
