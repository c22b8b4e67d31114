import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { AddressList } from '@chat/shared/http/address-list';
import { applyConnectionLimits } from '@chat/shared/http/connection-limits';
import type { HttpLimits } from '@chat/shared/kernel/config';
import { normalisePath } from './paths';
import { FORWARDING, forwardable } from './proxy-headers';
import { Balancer, upstreamOf, type Upstream } from './routes';

export interface GatewayOptions {
  upstreams: Record<Upstream, URL[]>;
  log: { warn(obj: object, msg: string): void };
  limits: HttpLimits;
  /** Longest an upstream may take to answer (or stay silent mid-answer); then 503. */
  upstreamTimeoutMs: number;
}

/** The contract's body limit, enforced here too: an upstream that refuses early would otherwise cut the upload. */
const BODY_LIMIT = 1024 * 1024;

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"not found"}}');
}

function unavailable(res: ServerResponse): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'service unavailable, retry' } }));
}

/**
 * The one public entry point of Phase 3: forwards each request, unchanged, to
 * the service that owns its path, and pipes WebSocket upgrades to a ws
 * instance (round-robin). A client cannot tell it from the monolith.
 */
export function createGateway(o: GatewayOptions): Server {
  const balancers = Object.fromEntries(Object.entries(o.upstreams).map(([k, v]) => [k, new Balancer(v)])) as Record<Upstream, Balancer>;

  const metricsReaders = new AddressList(o.limits.metricsAllowedAddresses);
  // connectionsCheckingInterval: how often Node enforces requestTimeout (default 30 s).
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req: IncomingMessage, res: ServerResponse) => {
    // Routed by the path the services will read, never by its raw spelling.
    const url = normalisePath(req.url ?? '/');
    if (url === undefined) return void notFound(res);
    req.url = url;
    if (url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (url.startsWith('/internal/')) return void notFound(res);
    if (/^\/metrics(\?|$)/.test(url) && !metricsReaders.has(req.socket.remoteAddress)) {
      return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"FORBIDDEN","message":"metrics are served to METRICS_ALLOWED_ADDRESSES only"}}');
    }
    if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT) {
      req.resume();
      return void res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is over 1 MiB' } }));
    }
    const target = balancers[upstreamOf(req.url ?? '/')].pick();
    const headers = forwardable(req.headers, true);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    let upstream: ReturnType<typeof httpRequest>;
    try {
      upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, timeout: o.upstreamTimeoutMs }, (up) => {
        res.writeHead(up.statusCode ?? 502, forwardable(up.headers, false));
        up.pipe(res);
      });
    } catch {
      // A path the HTTP client refuses names nothing anyone can see.
      return void notFound(res);
    }
    // No answer (or a stalled one) within the timeout: the client gets a 503, not a hang.
    upstream.on('timeout', () => upstream.destroy(new Error(`upstream timed out after ${o.upstreamTimeoutMs} ms`)));
    upstream.on('error', (err) => {
      if (res.headersSent) return void res.destroy();
      o.log.warn({ err: String(err), target: target.href }, 'upstream failed');
      unavailable(res);
    });
    // The client went away before the answer was sent: stop the upstream's work too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });

  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const url = normalisePath(req.url ?? '/');
    if (url === undefined || url.startsWith('/internal/')) return void client.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
    req.url = url;
    const target = balancers[upstreamOf(url)].pick();
    let connected = false;
    const upstream = connect(Number(target.port), target.hostname, () => {
      connected = true;
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        // The client's own forwarding headers are not believed: the services trust the gateway's.
        if (!FORWARDING.has(req.rawHeaders[i]!.toLowerCase())) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`X-Forwarded-For: ${client.remoteAddress ?? ''}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    // Either side ending ends the other only after what is buffered is flushed: a WebSocket
    // close frame (1013, 1001, 4401) still reaches a client that reads slowly.
    upstream.on('error', () => {
      // Not connected yet: the client is still waiting for its upgrade answer.
      if (!connected && !client.writableEnded) client.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n');
      else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => {
      if (client.destroyed) return;
      client.end();
      setTimeout(() => client.destroy(), 60_000).unref();
    });
    client.on('close', () => upstream.destroy());
  });
  // Longer than clients' idle keep-alive, so a client never reuses a connection the gateway is closing.
  server.keepAliveTimeout = 65_000;
  applyConnectionLimits(server, { ...o.limits, exempt: new AddressList(o.limits.trustProxy) });
  return server;
}
