import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { type AddressList, plainAddress } from './address-list';

export interface ConnectionLimits {
  /** Time to receive a whole request, headers and body; a slower one is answered 408 and closed. */
  readonly requestTimeoutMs: number;
  /** Open TCP connections per client address; 0 is no cap. */
  readonly maxConnectionsPerAddress: number;
  /** Addresses never capped: the trusted proxies every client arrives through. */
  readonly exempt: AddressList;
}

/**
 * Bounds what one client can hold open on an HTTP server: a request that
 * trickles its body is cut at `requestTimeoutMs` (checked every second), and
 * an address past its connection cap has each new connection closed at once,
 * before it is read. Bound: one counter per address with an open connection.
 */
export function applyConnectionLimits(server: Server, limits: ConnectionLimits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.requestTimeoutMs, 60_000);
  if (limits.maxConnectionsPerAddress <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = plainAddress(socket.remoteAddress ?? '');
    if (limits.exempt.has(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) return void socket.destroy();
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
