import t from 'tap';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { corkUntilCheckPhase } from '../src/socket-cork';

/** A server socket whose socket-level writes (one syscall each) are counted. */
async function pair(t: { teardown(fn: () => void): void }): Promise<{ server: WebSocket; raw: Socket; writes: () => number; received: string[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
  const received: string[] = [];
  client.on('message', (d) => received.push(String(d)));
  const [server] = (await once(wss, 'connection')) as [WebSocket];
  await once(client, 'open');
  t.teardown(() => {
    client.terminate();
    wss.close();
  });
  const raw = (server as unknown as { _socket: Socket & { _write: Function; _writev: Function } })._socket;
  let count = 0;
  for (const name of ['_write', '_writev'] as const) {
    const original = raw[name];
    raw[name] = function (this: Socket, ...args: unknown[]) {
      count++;
      return original.apply(this, args);
    };
  }
  return { server, raw, writes: () => count, received };
}

const settle = async (received: string[], n: number) => {
  while (received.length < n) await new Promise((r) => setTimeout(r, 5));
};

t.test('frames sent to a socket in one turn of the loop leave in one write, in order', async (t) => {
  const { server, raw, writes, received } = await pair(t);
  for (let i = 0; i < 5; i++) {
    corkUntilCheckPhase(raw);
    server.send(`frame ${i}`);
  }
  await new Promise((r) => setImmediate(r));
  await settle(received, 5);
  t.equal(writes(), 1, 'one write for five frames');
  t.same(received, [0, 1, 2, 3, 4].map((i) => `frame ${i}`));

  corkUntilCheckPhase(raw);
  server.send('next turn');
  await settle(received, 6);
  t.equal(writes(), 2, 'the next turn writes again');
});

t.test('without it, each frame is its own write (what the test above measures)', async (t) => {
  const { server, writes, received } = await pair(t);
  for (let i = 0; i < 5; i++) server.send(`frame ${i}`);
  await settle(received, 5);
  t.equal(writes(), 5);
});

t.test('a destroyed socket is left alone', async (t) => {
  const { raw } = await pair(t);
  raw.destroy();
  corkUntilCheckPhase(raw);
  t.equal(raw.writableCorked, 0);
});
