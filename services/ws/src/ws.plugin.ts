import websocket from '@fastify/websocket';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { bearerToken } from '@chat/shared/auth/access-token';
import { ForbiddenError } from '@chat/shared/kernel/errors';
import { WsConnection } from './ws.connection';
import type { WsHub } from './ws.hub';

const MAX_FRAME_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    wsClaims?: { userId: string; exp: number };
    /** The upgrade's placeholder HTTP response, released once the socket is ours. */
    upgradeResponse?: ServerResponse;
  }
}

/**
 * Lets the upgrade request go once the WebSocket is open. @fastify/websocket
 * keeps the request, its reply, their logger and the placeholder response
 * alive for the socket's whole life (an 'error' listener closing over them,
 * and the response still attached to the TCP socket): ~4 KB per idle socket.
 * WsConnection has its own 'error' listener; ws closes the socket itself on a
 * protocol error (1009 for an oversized frame), so nothing is lost.
 */
function releaseUpgradeRequest(socket: WebSocket, request: FastifyRequest): void {
  socket.removeAllListeners('error');
  const response = request.upgradeResponse;
  request.upgradeResponse = undefined;
  if (response?.socket) response.detachSocket(response.socket);
}

/** An origin as `scheme://host[:port]` (lower-case, default port dropped), or undefined if it is not an http(s) origin. */
export function normalizedOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
  return url.origin;
}

/**
 * The origin of a page this server serves: the scheme the client reached us
 * by (TLS here, or X-Forwarded-Proto from a TLS-terminating proxy: a browser
 * cannot set that header on a WebSocket) and the Host it asked for.
 */
function ownOrigin(request: FastifyRequest): string | undefined {
  const host = request.headers.host;
  if (!host) return undefined;
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  const scheme = request.protocol === 'https' ? 'https' : proto === 'https' || proto === 'http' ? proto : 'http';
  return normalizedOrigin(`${scheme}://${host}`);
}

export interface OriginPolicy {
  /** `*`: any origin. */
  readonly any: boolean;
  /** Normalized origins; empty: the server's own origin only. */
  readonly allowed: ReadonlySet<string>;
}

export function originPolicy(allowedOrigins: string[]): OriginPolicy {
  const allowed = new Set(allowedOrigins.filter((o) => o !== '*').map((o) => normalizedOrigin(o)).filter((o): o is string => o !== undefined));
  return { any: allowedOrigins.includes('*'), allowed };
}

/**
 * Browsers send Origin; it must match scheme, host and port exactly: an
 * origin on the allow-list when one is configured, else the server's own.
 * Non-browser clients send none.
 */
export function originAllowed(request: FastifyRequest, policy: OriginPolicy): boolean {
  const origin = request.headers.origin;
  if (!origin || policy.any) return true;
  const normalized = normalizedOrigin(origin);
  if (!normalized) return false;
  if (policy.allowed.size > 0) return policy.allowed.has(normalized);
  return normalized === ownOrigin(request);
}

export async function registerWebSocket(app: FastifyInstance, hub: WsHub, allowedOrigins: string[]): Promise<void> {
  const origins = originPolicy(allowedOrigins);
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  app.get('/v1/ws', {
    websocket: true,
    config: { public: true },
    // Runs before the upgrade: a bad header token or a foreign Origin is an HTTP error, not a socket.
    preValidation: async (request, reply) => {
      request.upgradeResponse = reply.raw;
      if (!originAllowed(request, origins)) throw new ForbiddenError('origin not allowed');
      const token = bearerToken(request.headers.authorization);
      if (request.headers.authorization !== undefined) request.wsClaims = await hub.tokens.verify(token ?? '');
    },
  }, (socket, request) => {
    const claims = request.wsClaims;
    releaseUpgradeRequest(socket, request);
    hub.background.run('socket start', () => new WsConnection(socket, hub).start(claims));
  });
}
