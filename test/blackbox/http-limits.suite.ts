import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Test } from 'tap';
import { sleep } from './client';
import { ownServer, type Ctx } from './harness';

/** Another client on loopback: a second source address, so per-address limits tell the two apart. */
const OTHER_ADDRESS = '127.0.0.2';

function get(base: string, path: string, localAddress?: string): Promise<{ status: number; ms: number }> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: GET ${path}`)));
    req.end();
  });
}

/** A socket that sends a request's headers and then trickles its body, one byte every `everyMs`. */
function trickle(base: string, everyMs: number): { socket: Socket; closed: Promise<string>; stop: () => void } {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => (answer += d));
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.write(`POST /v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{`));
  const timer = setInterval(() => socket.writable && socket.write(' '), everyMs);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(answer)));
  void closed.then(() => clearInterval(timer));
  return { socket, closed, stop: () => (clearInterval(timer), socket.destroy()) };
}

async function healthzTimes(base: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(base, '/healthz', OTHER_ADDRESS);
    times.push(r.status === 200 ? r.ms : Number.POSITIVE_INFINITY);
    await sleep(50);
  }
  return times.sort((x, y) => x - y);
}

/** Slow bodies, connection floods and /metrics: the HTTP server's own limits (docs/security.md). */
export function httpLimitsSuite(t: Test, ctx: Ctx): void {
  t.test('with low HTTP limits', async (t) => {
    const own = await ownServer(t, ctx, {
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: '20',
      METRICS_ALLOWED_ADDRESSES: OTHER_ADDRESS,
    });
    const base = await own.server.baseUrl;

    t.test('a request whose body trickles in is cut off at the request timeout', async (t) => {
      const slow = trickle(base, 300);
      const answer = await Promise.race([slow.closed, sleep(15_000).then(() => 'still open')]);
      slow.stop();
      t.not(answer, 'still open', 'the server closed the trickling connection');
      t.match(answer, /^(HTTP\/1\.1 408|$)/, `answered 408 or just closed (${answer.slice(0, 40)})`);
    });

    t.test('one address holding many connections gets no more than its cap; another address is served at once', async (t) => {
      const flood = Array.from({ length: 60 }, () => trickle(base, 1000));
      t.teardown(() => flood.forEach((f) => f.stop()));
      await sleep(1000);
      const open = flood.filter((f) => !f.socket.destroyed && f.socket.readyState === 'open').length;
      t.ok(open <= 20, `at most the cap (20) of 60 connections stay open (${open})`);
      const times = await healthzTimes(base, 10);
      t.ok(times[8]! < 100, `/healthz from another address answers in under 100 ms while the flood runs (${times.map((x) => x.toFixed(0)).join(',')} ms)`);
    });

    t.test('/metrics is served to the configured addresses only', async (t) => {
      t.equal((await get(base, '/metrics', OTHER_ADDRESS)).status, 200, `${OTHER_ADDRESS} is allowed`);
      t.equal((await get(base, '/metrics', '127.0.0.1')).status, 403, '127.0.0.1 is not on METRICS_ALLOWED_ADDRESSES');
    });
  });
}
