import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: meant for one connection, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** A client's own forwarding headers are not believed: the services trust the gateway's. */
export const FORWARDING = new Set(['x-forwarded-for', 'x-real-ip', 'forwarded']);

/** The header names a `Connection` value lists: hop-by-hop for this message too (RFC 9110 §7.6.1). */
export function connectionListed(connection: string | string[] | undefined): Set<string> {
  const raw = Array.isArray(connection) ? connection.join(',') : (connection ?? '');
  return new Set(raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
}

/** The headers to forward: hop-by-hop ones, those the `Connection` header names and (on requests) forwarding ones dropped. */
export function forwardable(headers: IncomingHttpHeaders, request: boolean): Record<string, string | string[]> {
  const listed = connectionListed(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k) || (request && FORWARDING.has(k))) continue;
    out[k] = v;
  }
  return out;
}
