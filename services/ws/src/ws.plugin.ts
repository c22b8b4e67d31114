import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken } from '@chat/shared/auth/access-token';
import { ForbiddenError } from '@chat/shared/kernel/errors';
import { WsConnection } from './ws.connection';
import type { WsHub } from './ws.hub';

const MAX_FRAME_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    wsClaims?: { userId: string; exp: number };
  }
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
    preValidation: async (request) => {
      if (!originAllowed(request, allowedOrigins)) throw new ForbiddenError('origin not allowed');
      const token = bearerToken(request.headers.authorization);
      if (request.headers.authorization !== undefined) request.wsClaims = await hub.tokens.verify(token ?? '');
    },
  }, (socket, request) => {
    new WsConnection(socket, hub).start(request.wsClaims);
  });
}
