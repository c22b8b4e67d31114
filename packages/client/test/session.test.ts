import t from 'tap';
import { Session } from '../src/session';

function fakeAuth() {
  const calls: string[] = [];
  let n = 0;
  let refuse = false;
  const fetchFn = (async (url: string, init: RequestInit) => {
    const { refreshToken } = JSON.parse(String(init.body));
    calls.push(`${url} ${refreshToken}`);
    await new Promise((r) => setTimeout(r, 10));
    if (refuse) return new Response(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'used' } }), { status: 401 });
    n++;
    return new Response(JSON.stringify({ accessToken: `a${n}`, refreshToken: `r${n}`, expiresIn: 10 }), { status: 200 });
  }) as unknown as typeof fetch;
  return { fetchFn, calls, refuse: () => (refuse = true) };
}

t.test('refresh is due at 80 % of expiresIn; concurrent callers share one refresh; the new pair is stored and announced', async (t) => {
  let now = 1_000_000;
  const f = fakeAuth();
  const seen: string[] = [];
  const s = new Session({ baseUrl: 'http://api.test/', tokens: { accessToken: 'a0', refreshToken: 'r0', expiresIn: 10 }, fetch: f.fetchFn, now: () => now, onTokens: (p) => seen.push(p?.refreshToken ?? 'cleared') });
  t.equal(s.refreshDueAt(), 1_008_000);
  now += 7_999;
  t.equal(await s.getAccessToken(), 'a0', 'not due yet: no call');
  t.same(f.calls, []);
  now += 1;
  const tokens = await Promise.all([s.getAccessToken(), s.getAccessToken(), s.refresh()]);
  t.same(tokens, ['a1', 'a1', 'a1']);
  t.same(f.calls, ['http://api.test/v1/auth/refresh r0'], 'one refresh call for three callers');
  t.same(seen, ['r1']);
  t.equal(s.refreshDueAt(), now + 8_000, 'the next due time counts from the new pair');
  f.refuse();
  await t.rejects(s.refresh(), { name: 'ChatApiError', status: 401, code: 'UNAUTHENTICATED' });
  t.equal(s.tokens, undefined, 'a refused refresh ends the session');
  t.same(seen, ['r1', 'cleared']);
  await t.rejects(s.getAccessToken(), { status: 401, code: 'UNAUTHENTICATED' });
});

t.test('restore(refreshToken) refreshes on first use; exclusive wraps each refresh; latestRefreshToken is read inside it', async (t) => {
  const f = fakeAuth();
  let stored: string | null = 'r-from-other-tab';
  const order: string[] = [];
  const s = new Session({
    baseUrl: 'http://api.test',
    fetch: f.fetchFn,
    exclusive: async (fn) => {
      order.push('lock');
      try {
        return await fn();
      } finally {
        order.push('unlock');
      }
    },
    latestRefreshToken: () => (order.push('read'), stored),
    onTokens: (p) => (stored = p?.refreshToken ?? null),
  });
  s.restore('r-stale');
  t.equal(s.refreshDueAt(), undefined);
  const tokens = await Promise.all([s.getAccessToken(), s.getAccessToken()]);
  t.same(tokens, ['a1', 'a1'], 'one refresh for both');
  t.same(f.calls, ['http://api.test/v1/auth/refresh r-from-other-tab'], 'the newest stored token is exchanged, not the stale one');
  t.same(order, ['lock', 'read', 'unlock']);
  t.equal(stored, 'r1');
  stored = null; // logged out in another tab
  await t.rejects(s.refresh(), { status: 401, code: 'UNAUTHENTICATED' });
  t.equal(s.tokens, undefined, 'the session ends here too');
  t.equal(f.calls.length, 1, 'no call with a token that is gone');
});
