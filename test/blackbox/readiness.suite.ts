import { connect, createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { freePort } from '@chat/shared/testing/server-process';
import { isError, ownServer, type Ctx } from './harness';

/** /readyz and request answers while MySQL or Redis is unreachable (mysql target only), and recovery. */

/** A TCP proxy on 127.0.0.1 that can cut every connection and refuse new ones, then come back. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number, private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => { this.sockets.delete(s); client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  async down(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (srv) await new Promise((r) => srv.close(r));
  }
}

export function readinessSuite(t: Test, ctx: Ctx): void {
  if (ctx.target !== 'mysql') {
    t.test('dependency outages', { skip: 'only the mysql target has dependencies to cut' }, async () => undefined);
    return;
  }

  t.test('when MySQL or Redis is unreachable: /readyz 503 naming it, requests 503, then full recovery', async (t) => {
    const db = new URL(process.env.DATABASE_URL!);
    const redis = new URL(process.env.REDIS_URL!);
    const dbProxy = new CuttableProxy(await freePort(), { host: db.hostname, port: Number(db.port || 3306) });
    const redisProxy = new CuttableProxy(await freePort(), { host: redis.hostname, port: Number(redis.port || 6379) });
    await dbProxy.up();
    await redisProxy.up();
    t.teardown(() => Promise.all([dbProxy.down(), redisProxy.down()]));
    db.port = String(dbProxy.port);
    db.pathname = `/chat_test_${randomBytes(4).toString('hex')}`;
    redis.port = String(redisProxy.port);
    const own = await ownServer(t, ctx, { DATABASE_URL: db.toString(), REDIS_URL: redis.toString() });
    const a = own.api;
    const s = await a.register();
    const room = await a.group(s);
    const before = await a.post(s, room.id, 'before the outage');
    t.equal((await a.req('GET', '/readyz')).status, 200, 'ready at first');

    for (const [name, proxy] of [['mysql', dbProxy], ['redis', redisProxy]] as const) {
      await proxy.down();
      const ready = await a.req('GET', '/readyz', { timeoutMs: 10_000 });
      t.equal(ready.status, 503, `${name} down: /readyz is 503`);
      t.equal(ready.body?.status, 'unavailable');
      const words = name === 'mysql' ? /mysql|database|db/i : /redis|cache/i;
      t.ok(Array.isArray(ready.body?.failing) && ready.body.failing.some((f: string) => words.test(f)), `failing names ${name}: ${JSON.stringify(ready.body?.failing)}`);
      t.equal((await a.req('GET', '/healthz')).status, 200, 'the process still runs');
      const during = await a.req('POST', `/v1/rooms/${room.id}/messages`, { token: s.accessToken, body: { clientMsgId: `during-${name}`, body: `during ${name}` }, timeoutMs: 15_000 });
      if (name === 'mysql') {
        const res = await a.req('GET', `/v1/rooms/${room.id}/messages`, { token: s.accessToken, timeoutMs: 15_000 });
        isError(t, res, 503, 'UNAVAILABLE', undefined, 'a read while the database is down');
        isError(t, during, 503, 'UNAVAILABLE', undefined, 'a send while the database is down');
      } else {
        t.ok(during.status === 201 || during.status === 503, `a send while Redis is down is served or 503 (${during.status})`);
      }
      await proxy.up();
      let ok = 0;
      for (let i = 0; i < 50 && ok !== 200; i++) {
        ok = (await a.req('GET', '/readyz', { timeoutMs: 10_000 })).status;
        if (ok !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      t.equal(ok, 200, `${name} back: ready again`);
      const after = await a.req('POST', `/v1/rooms/${room.id}/messages`, { token: s.accessToken, body: { clientMsgId: `after-${name}`, body: `after ${name}` }, timeoutMs: 15_000 });
      t.equal(after.status, 201, `${name} back: sends work again`);
      const retry = await a.req('POST', `/v1/rooms/${room.id}/messages`, { token: s.accessToken, body: { clientMsgId: `during-${name}`, body: `during ${name}` } });
      t.ok(retry.status === 201 || retry.status === 200, `${name} back: retrying the send made during the outage works (${retry.status})`);
    }
    const history = await a.allMessages(s, room.id);
    const bodies = history.map((m: { body: string }) => m.body);
    t.same([...bodies].sort(), ['after mysql', 'after redis', 'before the outage', 'during mysql', 'during redis'], `nothing lost, nothing doubled: ${bodies.join(' | ')}`);
    t.equal(history[0].id, before.id);
  });
}
