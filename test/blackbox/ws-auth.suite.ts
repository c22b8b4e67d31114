import type { Test } from 'tap';
import { UpgradeRefused, WsClient } from './client';
import { ownServer, rawWs, type Ctx } from './harness';
import { claimsOf, forge } from './tokens.suite';

/** WebSocket authentication: header, first frame, refusals, auth timeout, Origin allow-list. */
export function wsAuthSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  async function refusedStatus(url: string, opts: { token?: string; origin?: string }): Promise<number | string> {
    try {
      const c = await WsClient.connect(url, opts);
      c.terminate();
      return 'upgraded';
    } catch (err) {
      return err instanceof UpgradeRefused ? err.status : String(err);
    }
  }

  t.test('header auth: the first frame is ready {userId}', async (t) => {
    const s = await a.register();
    const c = await rawWs(t, ctx, { token: s.accessToken });
    const first = await c.next(() => true, 5000, 'first frame');
    t.match(first, { type: 'ready', userId: s.user.id });
    t.match(await c.ping(), { type: 'pong' });
  });

  t.test('a bad header token is refused with HTTP 401 before the upgrade', async (t) => {
    const s = await a.register();
    const secret = ctx.server.env.JWT_SECRET!;
    const expired = await forge(secret, { ...claimsOf(s.accessToken), exp: Math.floor(Date.now() / 1000) - 60 });
    t.equal(await refusedStatus(ctx.wsUrl, { token: 'garbage' }), 401, 'garbage');
    t.equal(await refusedStatus(ctx.wsUrl, { token: expired }), 401, 'expired');
    t.equal(await refusedStatus(ctx.wsUrl, { token: s.refreshToken }), 401, 'a refresh token');
    const wrongAud = await forge(secret, { ...claimsOf(s.accessToken), aud: 'other' });
    t.equal(await refusedStatus(ctx.wsUrl, { token: wrongAud }), 401, 'wrong audience');
  });

  t.test('first-frame auth: {type:"auth", token} answers ready', async (t) => {
    const s = await a.register();
    const c = await rawWs(t, ctx);
    c.auth(s.accessToken);
    t.match(await c.next(() => true, 5000, 'first frame'), { type: 'ready', userId: s.user.id });
    t.match(await c.ping(), { type: 'pong' });
  });

  t.test('a bad token in the auth frame: error frame, then close 4401', async (t) => {
    const c = await rawWs(t, ctx);
    c.auth('garbage');
    t.match(await c.next(() => true, 5000, 'first frame'), { type: 'error', code: 'UNAUTHENTICATED' });
    t.equal((await c.waitClosed()).code, 4401);
  });

  t.test('any other frame before ready: error frame, then close 4401', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const frames: unknown[] = [{ type: 'ping' }, { type: 'subscribe', roomId: room.id }, 'not json', { type: 'auth' }, { token: s.accessToken }];
    for (const frame of frames) {
      const c = await rawWs(t, ctx);
      if (typeof frame === 'string') c.sendRaw(frame);
      else c.send(frame);
      const first = await c.next(() => true, 5000, 'first frame');
      t.equal(first.type, 'error', `${JSON.stringify(frame).slice(0, 40)} answered by an error frame`);
      t.equal((await c.waitClosed()).code, 4401, 'then 4401');
      t.notOk(c.received.some((f) => f.type === 'ready' || f.type === 'subscribed' || f.type === 'event'), 'nothing else');
    }
  });

  t.test('auth by header, then an auth frame re-authenticates without closing', async (t) => {
    const s = await a.register();
    const c = await rawWs(t, ctx, { token: s.accessToken });
    await c.next((f) => f.type === 'ready');
    const fresh = (await a.login(s.user.username)).body.accessToken;
    c.auth(fresh);
    t.match(await c.ping(), { type: 'pong' }, 'still open after re-auth');
    t.notOk(c.received.some((f) => f.type === 'error'), 'no error');
  });

  t.test('with no allow-list configured, a foreign browser Origin is refused and the same origin accepted', async (t) => {
    const s = await a.register();
    t.equal(await refusedStatus(ctx.wsUrl, { token: s.accessToken, origin: 'http://evil.example' }), 403, 'foreign origin');
    const same = new URL(ctx.wsUrl);
    const c = await rawWs(t, ctx, { token: s.accessToken, origin: `http://${same.host}` });
    t.match(await c.next(() => true, 5000, 'ready'), { type: 'ready' }, 'the page this server serves may connect');
  });

  t.test('with a short WS_AUTH_TIMEOUT_MS and an Origin allow-list', async (t) => {
    const own = await ownServer(t, ctx, { WS_AUTH_TIMEOUT_MS: '700', WS_ALLOWED_ORIGINS: 'http://good.example,http://also.example' });
    const s = await own.api.register();

    t.test('no auth frame within the timeout closes with 4401', async (t) => {
      const c = await rawWs(t, own);
      const started = Date.now();
      const closed = await c.waitClosed(5000);
      t.equal(closed.code, 4401);
      t.ok(Date.now() - started >= 500, `not before the timeout (${Date.now() - started} ms)`);
    });

    t.test('authenticating in time keeps the socket past the timeout', async (t) => {
      const c = await rawWs(t, own);
      c.auth(s.accessToken);
      await c.next((f) => f.type === 'ready');
      await new Promise((r) => setTimeout(r, 1200));
      t.match(await c.ping(), { type: 'pong' });
    });

    t.test('an Origin outside the allow-list is refused with 403 before the upgrade', async (t) => {
      t.equal(await refusedStatus(own.wsUrl, { token: s.accessToken, origin: 'http://evil.example' }), 403, 'evil origin, header auth');
      t.equal(await refusedStatus(own.wsUrl, { origin: 'http://evil.example' }), 403, 'evil origin, no auth');
      t.equal(await refusedStatus(own.wsUrl, { token: s.accessToken, origin: 'http://good.example.evil.example' }), 403, 'prefix trick');
      t.equal(await refusedStatus(own.wsUrl, { token: s.accessToken, origin: 'https://good.example' }), 403, 'other scheme');
      t.equal(await refusedStatus(own.wsUrl, { token: s.accessToken, origin: 'null' }), 403, 'opaque origin "null"');
    });

    t.test('an allowed Origin, or none (non-browser client), is accepted', async (t) => {
      for (const origin of ['http://good.example', 'http://also.example', undefined]) {
        const c = await rawWs(t, own, { token: s.accessToken, ...(origin === undefined ? {} : { origin }) });
        t.match(await c.next(() => true, 5000, 'ready'), { type: 'ready', userId: s.user.id }, `origin ${origin ?? 'none'}`);
      }
    });
  });
}
