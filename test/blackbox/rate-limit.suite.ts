import type { Test } from 'tap';
import { cmid, PASSWORD, sleep, uname, type Res } from './client';
import { postFrom } from './from-address';
import { isError, openWs, ownServer, type Ctx, isBurstThenLimited } from './harness';

/** Rate limits on their own server with low limits: HTTP 429 with Retry-After, WS error RATE_LIMITED. */
export function rateLimitSuite(t: Test, ctx: Ctx): void {
  t.test('with low rate limits', async (t) => {
    const own = await ownServer(t, ctx, {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_MESSAGES_PER_SECOND: '1',
      RATE_LIMIT_MESSAGES_BURST: '3',
      RATE_LIMIT_AUTH_PER_SECOND: '1',
      RATE_LIMIT_AUTH_BURST: '6',
    });
    const a = own.api;
    const retryAfter = (res: Res) => Number(res.headers.get('retry-after'));
    // Four registrations up front (auth burst is 6); then let the auth bucket refill.
    const [http, ws, other, both] = [await a.register(), await a.register(), await a.register(), await a.register()];
    await sleep(4500);

    t.test('auth calls beyond the burst are 429 RATE_LIMITED with Retry-After', async (t) => {
      // At once: a login verifies a password hash, so one after another would be slower than the refill.
      const results = await Promise.all(Array.from({ length: 15 }, () => a.login(uname(), 'wrong password')));
      const statuses = results.map((r) => r.status);
      const served = statuses.filter((s) => s === 401).length;
      t.ok(served >= 5 && served <= 8, `about the burst (6) is served: ${statuses.join(',')}`);
      t.equal(served + statuses.filter((s) => s === 429).length, 15, 'the rest are 429');
      const limited = results.find((r) => r.status === 429);
      t.ok(limited, 'some call is refused');
      if (!limited) return;
      isError(t, limited, 429, 'RATE_LIMITED');
      const after = retryAfter(limited);
      t.ok(Number.isInteger(after) && after >= 1 && after <= 60, `Retry-After is whole seconds (${limited.headers.get('retry-after')})`);
      await sleep(after * 1000 + 200);
      t.equal((await a.login(http.user.username)).status, 200, 'served again after Retry-After');
      const spoofed = await Promise.all(Array.from({ length: 12 }, (_, i) => a.req('POST', '/v1/auth/login', {
        body: { username: uname(), password: 'wrong password' }, headers: { 'x-forwarded-for': `10.0.0.${i + 1}`, 'x-real-ip': `10.0.1.${i + 1}` },
      })));
      t.ok(spoofed.some((r) => r.status === 429), `a client's own X-Forwarded-For does not escape the limit: ${spoofed.map((r) => r.status).join(',')}`);
      const otherClient = await postFrom(own.api.baseUrl, '127.0.0.2', '/v1/auth/login', { username: http.user.username, password: PASSWORD });
      t.equal(otherClient.status, 200, 'another client address has its own bucket (in Phase 3 too: the services believe the gateway\'s X-Forwarded-For)');
      await sleep(Math.max(...spoofed.map(retryAfter).filter(Number.isFinite), 1) * 1000 + 200);
      const reg = await a.req('POST', '/v1/auth/register', { body: { username: uname(), password: 'whatever-password' } });
      t.ok([201, 429].includes(reg.status), 'register is an auth call too');
    });

    t.test('HTTP sends beyond the burst are 429 with Retry-After; a later retry succeeds once', async (t) => {
      const room = await a.group(http);
      const ids = Array.from({ length: 8 }, () => cmid());
      const results: Res[] = [];
      for (const clientMsgId of ids) {
        results.push(await a.req('POST', `/v1/rooms/${room.id}/messages`, { token: http.accessToken, body: { clientMsgId, body: 'x' } }));
      }
      const statuses = results.map((r) => r.status);
      const i = isBurstThenLimited(t, results, 3, 201);
      if (i < 0) return;
      const storedBefore = (await a.allMessages(http, room.id)).length;
      t.equal(storedBefore, statuses.filter((s) => s === 201).length, 'refused sends stored nothing');
      await sleep(retryAfter(results[i]!) * 1000 + 200);
      const retry = await a.req('POST', `/v1/rooms/${room.id}/messages`, { token: http.accessToken, body: { clientMsgId: ids[i], body: 'x' } });
      t.equal(retry.status, 201, 'the refused clientMsgId is accepted later');
      t.equal((await a.allMessages(http, room.id)).length, storedBefore + 1, 'exactly once');
      const otherRoom = await a.group(other);
      t.equal((await a.req('POST', `/v1/rooms/${otherRoom.id}/messages`, { token: other.accessToken, body: { clientMsgId: cmid(), body: 'y' } })).status, 201, 'another user is not limited');
    });

    t.test('WS sends beyond the burst get error RATE_LIMITED and the socket stays open', async (t) => {
      const room = await a.group(ws);
      const c = await openWs(t, own, ws.accessToken);
      const ids = Array.from({ length: 8 }, () => cmid());
      for (const clientMsgId of ids) c.send({ type: 'send', roomId: room.id, clientMsgId, body: 'x' });
      const answers = [];
      for (const id of ids) answers.push(await c.next((f) => f.clientMsgId === id && (f.type === 'ack' || f.type === 'error'), 5000, `answer ${id}`));
      t.ok(answers.slice(0, 3).every((f) => f.type === 'ack'), `the burst is acked: ${answers.map((f) => f.type).join(',')}`);
      const refused = answers.filter((f) => f.type === 'error');
      t.ok(refused.length > 0, 'some sends refused');
      for (const f of refused) t.match(f, { type: 'error', code: 'RATE_LIMITED', roomId: room.id }, 'RATE_LIMITED names room and clientMsgId');
      t.match(await c.ping(), { type: 'pong' }, 'still open');
      const acked = answers.filter((f) => f.type === 'ack').length;
      t.equal((await a.allMessages(ws, room.id)).length, acked, 'only acked sends were stored');
    });

    t.test('HTTP posts and WS sends take from one msg bucket per user', async (t) => {
      const room = await a.group(both);
      const c = await openWs(t, own, both.accessToken);
      const post = () => a.req('POST', `/v1/rooms/${room.id}/messages`, { token: both.accessToken, body: { clientMsgId: cmid(), body: 'x' } });
      const wsSend = async () => {
        const clientMsgId = cmid();
        c.send({ type: 'send', roomId: room.id, clientMsgId, body: 'x' });
        return c.next((f) => f.clientMsgId === clientMsgId && (f.type === 'ack' || f.type === 'error'), 5000, `answer ${clientMsgId}`);
      };
      // Burst 3 at 1/s: two HTTP posts and one WS send use it up; then both transports are refused.
      const first = [(await post()).status, (await post()).status, (await wsSend()).type];
      const refusedWs = await wsSend();
      const refusedHttp = await post();
      t.same(first, [201, 201, 'ack'], 'the burst is shared: 2 HTTP + 1 WS');
      t.match(refusedWs, { type: 'error', code: 'RATE_LIMITED' }, 'a WS send after HTTP posts used the bucket is refused');
      isError(t, refusedHttp, 429, 'RATE_LIMITED');
      t.ok(retryAfter(refusedHttp) >= 1, 'with Retry-After');
      t.equal((await a.allMessages(both, room.id)).length, 3, 'only the served sends were stored');
    });
  });
}
