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

/** Browsers send Origin; it must be ours (same host) or on the allow-list. Non-browser clients send none. */
function originAllowed(request: FastifyRequest, allowed: string[]): boolean {
  const origin = request.headers.origin;
  if (!origin || allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export async function registerWebSocket(app: FastifyInstance, hub: WsHub, allowedOrigins: string[]): Promise<void> {
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  app.get('/v1/ws', {
    websocket: true,
    config: { public: true },
    // Runs before the upgrade: a bad header token or a foreign Origin is an HTTP error, not a socket.
    preValidation: async (request, reply) => {
      request.upgradeResponse = reply.raw;
      if (!originAllowed(request, allowedOrigins)) throw new ForbiddenError('origin not allowed');
      const token = bearerToken(request.headers.authorization);
      if (request.headers.authorization !== undefined) request.wsClaims = await hub.tokens.verify(token ?? '');
    },
  }, (socket, request) => {
    const claims = request.wsClaims;
    releaseUpgradeRequest(socket, request);
    new WsConnection(socket, hub).start(claims);
  });
}
