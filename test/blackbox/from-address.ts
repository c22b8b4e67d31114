import { type Agent, request } from 'node:http';
import type { Res } from './client';

export interface Answer extends Res {
  readonly ms: number;
}

/**
 * A JSON POST from a chosen local address: every loopback address
 * (127.0.0.0/8) reaches a server listening on 127.0.0.1, and the server sees
 * it as the client's address. A new connection per request unless `agent` keeps them alive.
 */
export function postFrom(baseUrl: string, localAddress: string, path: string, body: unknown, timeoutMs = 30_000, agent: Agent | false = false): Promise<Answer> {
  const url = new URL(path, baseUrl);
  const payload = JSON.stringify(body);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, agent, timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({ status: res.statusCode ?? 0, body: parsed, headers, text, ms: Date.now() - started });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
