import t from 'tap';
import { LoginFailureLimit } from '@chat/shared/auth/login-failures';
import { addressGroup, PasswordHashGate } from '@chat/shared/auth/password-hash-gate';
import { graceTokenId, judgeRefreshToken } from '@chat/shared/auth/refresh-token';
import { ConfigError, loadAuthLimits } from '@chat/shared/kernel/config';
import { AppError, RateLimitedError, UnavailableError } from '@chat/shared/kernel/errors';
import { isDisplayableText } from '@chat/shared/kernel/text';
import { InProcessRateLimiter } from '@chat/shared/rate-limit/rate-limiter';

/** A hash that ends when the test says so. */
function controllable(): { work: () => Promise<void>; started: boolean; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const h = {
    started: false,
    finish: () => finish(),
    work: async () => {
      h.started = true;
      await done;
    },
  };
  return h;
}

/** Every non-ASCII code point spelled out (a raw U+2028 would break a TAP line). */
const label = (s: string) => [...s].map((c) => (/[\x20-\x7e]/.test(c) ? c : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)).join(' ');

const tick = () => new Promise((r) => setImmediate(r));

t.test('password hash gate: bounded running and waiting, 503 with Retry-After past them', async (t) => {
  const gate = new PasswordHashGate({ concurrency: 2, queue: 2, perAddress: 0 });
  const hashes = Array.from({ length: 4 }, () => controllable());
  const runs = hashes.map((h, i) => gate.run(`10.0.0.${i}`, h.work));
  await tick();
  t.same(hashes.map((h) => h.started), [true, true, false, false], 'two run, two wait');
  t.same(gate.load, { running: 2, waiting: 2, addresses: 4 });
  const refused = await gate.run('10.0.0.9', async () => 'x').catch((e: unknown) => e);
  t.ok(refused instanceof UnavailableError, 'the fifth is refused at once');
  t.equal((refused as AppError).status, 503);
  t.ok(Number.isInteger((refused as UnavailableError).retryAfterSeconds) && (refused as UnavailableError).retryAfterSeconds! >= 1, 'with Retry-After');
  hashes[0]!.finish();
  await runs[0];
  await tick();
  t.ok(hashes[2]!.started, 'a finished hash lets a waiting one start');
  for (const h of hashes) h.finish();
  await Promise.all(runs);
  t.same(gate.load, { running: 0, waiting: 0, addresses: 0 }, 'nothing is left behind');
});

t.test('password hash gate: one address holds at most its share and never every slot', async (t) => {
  const gate = new PasswordHashGate({ concurrency: 2, queue: 10, perAddress: 3 });
  const flood = Array.from({ length: 3 }, () => controllable());
  const runs = flood.map((h) => gate.run('1.1.1.1', h.work));
  await tick();
  t.same(flood.map((h) => h.started), [true, false, false], 'one address runs on one of two slots; the rest of its share waits');
  const over = await gate.run('1.1.1.1', async () => 'x').catch((e: unknown) => e);
  t.ok(over instanceof UnavailableError, 'past its share (running + waiting) the address is refused');
  const other = controllable();
  const otherRun = gate.run('2.2.2.2', other.work);
  await tick();
  t.ok(other.started, 'another address starts at once');
  other.finish();
  await otherRun;
  flood[0]!.finish();
  await tick();
  t.ok(flood[1]!.started, 'the flooding address goes on one at a time');
  for (const h of flood) h.finish();
  await Promise.all(runs);
  t.same(gate.load, { running: 0, waiting: 0, addresses: 0 });
});

t.test('password hash gate: waiting hashes start round-robin by address', async (t) => {
  const gate = new PasswordHashGate({ concurrency: 1, queue: 10, perAddress: 5 });
  const order: string[] = [];
  const first = controllable();
  const runs = [gate.run('a', first.work)];
  for (const who of ['a1', 'a2', 'a3']) runs.push(gate.run('a', async () => void order.push(who)));
  runs.push(gate.run('b', async () => void order.push('b1')));
  await tick();
  first.finish();
  await Promise.all(runs);
  t.same(order, ['a1', 'b1', 'a2', 'a3'], 'b waits for one of a\'s hashes, not all of them');
});

t.test('password hash gate: a failing hash frees its slot', async (t) => {
  const gate = new PasswordHashGate({ concurrency: 1, queue: 0, perAddress: 1 });
  await t.rejects(gate.run('a', async () => { throw new Error('boom'); }), { message: 'boom' });
  t.equal(await gate.run('a', async () => 42), 42);
  t.same(gate.load, { running: 0, waiting: 0, addresses: 0 });
});

t.test('password hash gate: an IPv6 client is counted by its /64', async (t) => {
  t.equal(addressGroup('127.0.0.1'), '127.0.0.1');
  t.equal(addressGroup('::ffff:10.1.2.3'), '10.1.2.3', 'IPv4-mapped');
  t.equal(addressGroup('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(addressGroup('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64', 'same /64, other spelling');
  t.equal(addressGroup('2001:db8::1'), '2001:db8:0:0::/64', 'compressed');
  t.equal(addressGroup('::1'), '0:0:0:0::/64');
  t.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64', 'zone id');
  const gate = new PasswordHashGate({ concurrency: 4, queue: 10, perAddress: 1 });
  const h = controllable();
  const run = gate.run('2001:db8:1:2::1', h.work);
  await t.rejects(gate.run('2001:db8:1:2::2', async () => 'x'), UnavailableError, 'another address of the same /64 shares the share');
  h.finish();
  await run;
});

t.test('failed logins per username: refused without a token after N failures, a success restores it', async (t) => {
  const limit = new LoginFailureLimit(new InProcessRateLimiter(), { failures: 3, windowSeconds: 60 });
  for (let i = 0; i < 3; i++) await limit.admit('Alice');
  const refused = await limit.admit('alice').catch((e: unknown) => e);
  t.ok(refused instanceof RateLimitedError, 'the fourth attempt is 429 (case-insensitive name)');
  t.ok((refused as RateLimitedError).retryAfterSeconds >= 1 && (refused as RateLimitedError).retryAfterSeconds <= 20, 'Retry-After: one failure\'s share of the window');
  await limit.admit('bob');

  const other = new LoginFailureLimit(new InProcessRateLimiter(), { failures: 3, windowSeconds: 60 });
  await other.admit('carol');
  await other.admit('carol');
  await new Promise((r) => setTimeout(r, 5));
  await other.succeeded('carol');
  for (let i = 0; i < 3; i++) await other.admit('carol');
  await t.rejects(other.admit('carol'), RateLimitedError, 'a full allowance again after the success, and no more');
});

t.test('refresh reuse rule with a grace window', async (t) => {
  const row = { used_at: 1000, revoked_at: null, expires_at: 100_000 };
  t.equal(judgeRefreshToken(row, 1500), 'reused', 'no window: reuse');
  t.equal(judgeRefreshToken(row, 1500, 2000), 'reused-in-grace', 'within the window');
  t.equal(judgeRefreshToken(row, 3001, 2000), 'reused', 'after the window');
  t.equal(judgeRefreshToken({ ...row, expires_at: 1200 }, 1500, 2000), 'reused', 'an expired token gets no grace');
  t.equal(judgeRefreshToken({ ...row, revoked_at: 1100 }, 1500, 2000), 'revoked');
  t.equal(judgeRefreshToken({ used_at: null, revoked_at: null, expires_at: 2000 }, 1500, 2000), 'valid');
  const id = graceTokenId('0190f7a4-5b1c-7cc2-8e1f-3a2b4c5d6e7f', 1);
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'UUID-shaped (fits the id column)');
  t.equal(graceTokenId('0190f7a4-5b1c-7cc2-8e1f-3a2b4c5d6e7f', 1), id, 'deterministic');
  t.not(graceTokenId('0190f7a4-5b1c-7cc2-8e1f-3a2b4c5d6e7f', 2), id, 'one per slot');
});

t.test('display text: no control, bidi or invisible characters, not blank', async (t) => {
  const bad = [
    '\u202Eadmin', 'ad\u202Dmin', '\u2066x', 'x\u2069', '\u200Eadmin', 'admin\u200F', 'a\u061Cb',
    '\u200B\u200B', 'ad\u200Bmin', '\uFEFFadmin', 'a\u2060b', 'a\u2063', 'x\u180E', '\u3164', '\u115F', '\u1160', '\uFFA0', 'a\u00ADb', '\u2800',
    '\u200C', 'x\u200D', '\u200Dx', '\uFE0F', ' \uFE0F', '\u{E0067}', 'a\u0000', 'a\tb', 'a\nb', 'a\u007F', 'a\u0085', 'a\u2028b', 'a\u2029b', '\ud800x',
    '', ' ', '\u3000', ' \u200B ',
  ];
  for (const s of bad) t.notOk(isDisplayableText(s), `refused: ${label(s)}`);
  const good = ['Alice', '앨리스', 'José', 'a b', '👩‍💻', '👨‍👩‍👧', '👩🏽‍💻', '❤️', '1️⃣', 'می‌خواهم', 'שלום', 'مرحبا', '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}', ' padded '];
  for (const s of good) t.ok(isDisplayableText(s), `accepted: ${label(s)}`);
});

t.test('auth limits configuration: defaults, explicit values, bad values name the variable', async (t) => {
  const d = loadAuthLimits({});
  t.ok(d.hashConcurrency >= 1 && d.hashConcurrency <= 3, `hash concurrency: one per CPU, leaving a pool thread free (${d.hashConcurrency})`);
  t.match(d, { hashQueue: 64, hashPerAddress: 16, loginFailuresPerUsername: 10, loginFailureWindowSeconds: 300, refreshReuseGraceSeconds: 0, refreshReuseGraceReissues: 1 });
  t.equal(loadAuthLimits({ UV_THREADPOOL_SIZE: '2' }).hashConcurrency, 1, 'a pool of two leaves one for hashing');
  t.equal(loadAuthLimits({ RATE_LIMIT_ENABLED: 'false', PASSWORD_HASH_PER_ADDRESS: '4' }).hashPerAddress, 0, 'the per-address share is off with the rate limits');
  t.match(loadAuthLimits({ PASSWORD_HASH_CONCURRENCY: '6', PASSWORD_HASH_QUEUE: '0', PASSWORD_HASH_PER_ADDRESS: '0', LOGIN_FAILURES_PER_USERNAME: '0', REFRESH_REUSE_GRACE_SECONDS: '10', REFRESH_REUSE_GRACE_REISSUES: '3' }), {
    hashConcurrency: 6, hashQueue: 0, hashPerAddress: 0, loginFailuresPerUsername: 0, refreshReuseGraceSeconds: 10, refreshReuseGraceReissues: 3,
  });
  for (const [name, value] of [['PASSWORD_HASH_CONCURRENCY', '-1'], ['PASSWORD_HASH_QUEUE', 'many'], ['LOGIN_FAILURE_WINDOW_SECONDS', '0'], ['REFRESH_REUSE_GRACE_SECONDS', '3600'], ['REFRESH_REUSE_GRACE_REISSUES', '0']] as const) {
    const err = (() => {
      try {
        loadAuthLimits({ [name]: value });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    t.ok(err instanceof ConfigError && err.variable === name, `${name}=${value} is refused, naming the variable`);
  }
});
