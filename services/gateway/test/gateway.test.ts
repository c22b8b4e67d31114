import t from 'tap';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadHttpLimits } from '@chat/shared/kernel/config';
import { createGateway } from '../src/gateway';

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

/** A real upstream on loopback that records what reached it and answers as `answer` says. */
async function upstream(answer: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) {
  const seen: IncomingMessage[] = [];
  const aborted: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    res.on('close', () => !res.writableFinished && aborted.push(req.url ?? ''));
    answer(req, res);
  });
  const url = await listen(server);
  t.teardown(() => (server.closeAllConnections(), server.close()));
  return { url, seen, aborted };
}

async function gatewayTo(url: string, upstreamTimeoutMs = 5000) {
  const target = [new URL(url)];
  const gw = createGateway({
    upstreams: { api: target, message: target, search: target, ws: target, notification: target, web: target },
    log: { warn: () => undefined },
    limits: loadHttpLimits({}),
    upstreamTimeoutMs,
  });
  const base = await listen(gw);
  t.teardown(() => (gw.closeAllConnections(), gw.close()));
  return base;
}

function get(base: string, path: string, headers: Record<string, string> = {}, abortAfterMs?: number): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (abortAfterMs !== undefined) setTimeout(() => (req.destroy(), resolve({ status: 0, headers: {}, body: '' })), abortAfterMs);
    req.end();
  });
}

t.test('headers named in Connection are hop-by-hop: never forwarded, either way', async (t) => {
  const up = await upstream((_req, res) => res.writeHead(200, { connection: 'x-internal-debug', 'x-internal-debug': 'secret', 'x-kept': 'yes' }).end('ok'));
  const base = await gatewayTo(up.url);
  const res = await get(base, '/v1/rooms', { connection: 'keep-alive, X-Session-Hint', 'x-session-hint': 'drop me', 'x-other': 'keep me', 'x-forwarded-for': '6.6.6.6' });
  t.equal(res.status, 200);
  const h = up.seen[0]!.headers;
  t.equal(h['x-session-hint'], undefined, 'a request header named in Connection is dropped');
  t.equal(h['x-other'], 'keep me', 'other headers pass');
  t.equal(h['x-forwarded-for'], '127.0.0.1', "the client's own X-Forwarded-For is replaced by its address");
  t.equal(res.headers['x-internal-debug'], undefined, 'a response header named in Connection is dropped');
  t.equal(res.headers['x-kept'], 'yes');
});

t.test('an upstream that does not answer in time is a 503 UNAVAILABLE with Retry-After, not a hang', async (t) => {
  const up = await upstream(() => undefined);
  const base = await gatewayTo(up.url, 300);
  const started = Date.now();
  const res = await get(base, '/v1/rooms');
  t.equal(res.status, 503);
  t.equal(JSON.parse(res.body).error.code, 'UNAVAILABLE');
  t.equal(res.headers['retry-after'], '1');
  t.ok(Date.now() - started < 5000, 'answered near the timeout');
});

t.test('a client that goes away aborts the upstream request', async (t) => {
  const up = await upstream(() => undefined);
  const base = await gatewayTo(up.url, 10_000);
  await get(base, '/v1/rooms/slow', {}, 200);
  for (let i = 0; i < 50 && up.aborted.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(up.aborted, ['/v1/rooms/slow'], 'the upstream saw its request closed before it answered');
});
