import type { FastifyInstance } from 'fastify';
import { WsHub, type WsHubDeps } from './ws.hub';
import { registerWebSocket } from './ws.plugin';

/** The WebSocket gateway: sockets on /v1/ws, fed by stored timeline events from the bus. */
export async function registerWsGateway(app: FastifyInstance, deps: WsHubDeps, allowedOrigins: string[]): Promise<WsHub> {
  const hub = new WsHub(deps);
  await hub.start();
  await registerWebSocket(app, hub, allowedOrigins);
  return hub;
}
