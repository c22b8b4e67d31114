// The internal RPC client: what a caller sees when the other side answers, fails, stalls or is not ours,
// and that calls share kept-open connections (a WS send is one call; a connection per call would cost a
// TCP handshake on each side of the load balancer).
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp } from '../src/http/service-app';
import { loadConfig } from '../src/kernel/config';
import { AppError, UnavailableError, ValidationError } from '../src/kernel/errors';
import { Type } from '@sinclair/typebox';
import { exposeRpc, internalToken, rpcClient } from '../src/rpc/rpc';
import type { RpcMethods } from '../src/contract/rpc/room-ports';

const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'rpc-client-')), JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' });
const token = internalToken(config.jwt.secret);

interface Echo {
  echo(value: unknown): Promise<unknown>;
  refuse(): Promise<never>;
  crash(): Promise<never>;
}
const ECHO_RPC: RpcMethods<Echo> = { echo: Type.Tuple([Type.Unknown()]), refuse: Type.Tuple([]), crash: Type.Tuple([]) };

async function echoService() {
  const { app } = createServiceApp(config, 'message', () => ({}));
  const sockets = new Set<unknown>();
  app.server.on('connection', (s) => sockets.add(s));
  const service = {
    echo: async (value: unknown) => value,
    refuse: async () => {
      throw new ValidationError('no such thing', 'x');
    },
    crash: async () => {
      throw new Error('bug');
    },
    secret: async () => 'not exposed',
  };
  exposeRpc<Echo>(app, 'echo', service, ECHO_RPC, token);
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { sockets, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

/** A plain HTTP server answering every request with `handle`. */
async function rawServer(handle: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

t.test('answers and remote errors keep their value and type; one kept-open connection serves sequential calls', async (t) => {
  const { sockets, url } = await echoService();
  const client = rpcClient<Echo>(url, 'echo', token);
  for (let i = 0; i < 20; i++) t.same(await client.echo({ i, text: '한글 ✓' }), { i, text: '한글 ✓' });
  // undici may open a second connection while the first is being handed back; never one per call.
  t.ok(sockets.size <= 2, `20 calls, one after another, over ${sockets.size} kept-open connection(s)`);
  const refused = await client.refuse().catch((e: unknown) => e);
  t.ok(refused instanceof AppError && refused.code === 'VALIDATION_FAILED', 'an AppError on the other side keeps its code');
  t.same((refused as AppError).details, { field: 'x' });
  t.ok((await client.crash().catch((e: unknown) => e)) instanceof UnavailableError, 'a 500 over there is Unavailable here');
  const wrongToken = await rpcClient<Echo>(url, 'echo', 'nope').echo(1).catch((e: unknown) => e);
  t.ok(wrongToken instanceof AppError && wrongToken.code === 'FORBIDDEN', 'a call without the internal token is refused');
});

t.test('only the declared methods are served, and only with arguments that match their schema', async (t) => {
  const { url } = await echoService();
  const call = async (method: string, body: unknown) => {
    const res = await fetch(`${url}/internal/rpc/echo/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-internal-token': token }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { result?: unknown; error?: { code: string } } };
  };
  t.same(await call('echo', { args: ['x'] }), { status: 200, body: { result: 'x' } });
  for (const method of ['secret', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const res = await call(method, { args: [] });
    t.equal(res.status, 404, `${method}: not served`);
    t.equal(res.body.error?.code, 'NOT_FOUND');
  }
  for (const body of [{ args: ['x', 'y'] }, { args: 'x' }, {}, { args: [] }]) {
    const res = await call('echo', body);
    t.equal(res.status, 400, `echo with ${JSON.stringify(body)}: refused`);
    t.equal(res.body.error?.code, 'VALIDATION_FAILED');
  }
  const noToken = await fetch(`${url}/internal/rpc/echo/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"args":[1]}' });
  t.equal(noToken.status, 403, 'the token is checked first');
});

t.test('nothing listening, a stalled answer, a cut-off answer, an answer that is not ours: Unavailable, within the timeout', async (t) => {
  const closed = await rawServer(() => {});
  const port = Number(new URL(closed).port);
  const stalled = await rawServer(() => {
    /* never answers */
  });
  const cutOff = await rawServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"result":');
    // …and nothing more: the body never completes.
  });
  const html = await rawServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'text/html' });
    res.end('<html><body>400 Bad request</body></html>');
  });
  const nobody = `http://127.0.0.1:${port === 65535 ? 1 : port + 1}`;
  for (const [what, url] of [['nothing listening', nobody], ['stalled', stalled], ['cut off', cutOff], ['not JSON', html]] as const) {
    const started = Date.now();
    const err = await rpcClient<Echo>(url, 'echo', token, { timeoutMs: 500 }).echo(1).catch((e: unknown) => e);
    t.ok(err instanceof UnavailableError, `${what}: Unavailable`);
    t.ok(Date.now() - started < 3000, `${what}: gave up in ${Date.now() - started} ms`);
  }
});
