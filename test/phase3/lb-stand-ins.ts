import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';

/** A request as a stand-in service saw it. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A service stand-in on loopback: answers every request with its own name and
 * what it received (method, url, headers), records each one (health checks
 * aside), and answers WebSocket upgrades when `ws` is set (greets with its
 * name, echoes each frame as `<name>:<frame>`). Behaviours on demand: a path
 * containing `/silent` is never answered; a request with `x-drop: 1` has its
 * connection cut once its body is read.
 */
export async function standIn(name: string, o: { ws?: boolean } = {}) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.includes('/silent')) return;
      if (req.headers['x-drop'] === '1') return void req.socket.destroy();
      const answer = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
    });
  });
  // Longer than HAProxy keeps idle connections to it, so it never reuses one we are closing.
  server.keepAliveTimeout = 65_000;
  if (o.ws) {
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket, req) => {
      seen.push({ method: 'UPGRADE', url: req.url ?? '', headers: req.headers, body: '' });
      socket.send(`hello from ${name}`);
      socket.on('message', (data) => socket.send(`${name}:${String(data)}`));
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    name,
    port,
    seen,
    server: { name, host: '127.0.0.1', port },
    /** Stops listening and cuts every connection: to HAProxy, a dead instance. */
    close: async () => {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
export type StandIn = Awaited<ReturnType<typeof standIn>>;

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body as JSON, or undefined when it is not JSON. */
  readonly json: any;
}

/** One request on its own connection (no pooling: per-address caps count connections). */
export function http(port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, localAddress: o.localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${o.method ?? 'GET'} ${path}`)));
    req.end(o.body);
  });
}

/** A raw connection: what it sends is up to the caller; `answer` is everything read until the server closes. */
export function rawSocket(port: number, localAddress?: string): { socket: Socket; answer: Promise<string>; open: () => boolean } {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  let text = '';
  let ended = false;
  socket.setEncoding('utf8');
  socket.on('data', (d) => (text += d));
  socket.on('error', () => undefined);
  const answer = new Promise<string>((resolve) => socket.on('close', () => ((ended = true), resolve(text))));
  return { socket, answer, open: () => !ended && !socket.destroyed };
}

/** The JSON body of an HTTP response read off a raw socket. */
export function rawJson(answer: string): any {
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
