import type { FastifyInstance } from 'fastify';
import type { AccessTokens } from '@chat/shared/auth/access-token';
import { clientMsgId, messageBody } from '@chat/shared/domain/message-input';
import type { EventBus } from '@chat/shared/events/event-bus';
import type { RoomChannels, RoomEventPublisher } from '@chat/shared/fanout/room-fanout';
import type { Config } from '@chat/shared/kernel/config';
import { newId } from '@chat/shared/kernel/ids';
import type { Metrics } from '@chat/shared/metrics/metrics';
import type { Presence } from '@chat/shared/ports/presence';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import { rateRules } from '@chat/shared/rate-limit/rules';
import { chatModule } from '@chat/shared/http/module-plugin';
import { WsHub } from './ws.hub';
import { registerWebSocket } from './ws.plugin';

/** Most events in one replay page, however small (the store reads one more to know whether more exist). */
const MAX_PAGE_EVENTS = 200;
/** A store read, presence call, rate-limiter take or signal publish not answered by then is UNAVAILABLE. */
const DEPENDENCY_TIMEOUT_MS = 5000;
/** First pause before a presence lease that failed is tried again. */
const PRESENCE_RETRY_MS = 1000;

export interface WsGatewayDeps {
  config: Config;
  bus: EventBus;
  tokens: AccessTokens;
  commands: RoomCommands;
  queries: RoomQueries;
  presence: Presence;
  limiter: RateLimiter;
  metrics: Metrics;
  /** Room events over Redis pub/sub (Phase 3, ADR 0011); absent: straight from the bus. */
  fanout?: { channels: RoomChannels; publisher: RoomEventPublisher };
}

/** The WebSocket gateway: sockets on /v1/ws, fed by stored timeline events from the bus. */
export async function registerWsGateway(app: FastifyInstance, d: WsGatewayDeps): Promise<WsHub> {
  const hub = new WsHub({
    ...d,
    ...rateRules(d.config),
    validateSend: (f) => ({ clientMsgId: clientMsgId(f.clientMsgId), body: messageBody(f.body) }),
    config: {
      ...d.config.ws,
      // A limit like the rate limits: switched off with them (load tests open hundreds of sockets per user).
      maxSocketsPerUser: d.config.rateLimit.enabled ? d.config.ws.maxSocketsPerUser : Number.POSITIVE_INFINITY,
      replay: { ...d.config.ws.replay, maxPageEvents: MAX_PAGE_EVENTS },
      dependencyTimeoutMs: DEPENDENCY_TIMEOUT_MS,
      presenceRetryMs: PRESENCE_RETRY_MS,
    },
    instanceId: newId(),
    metrics: {
      framesIn: d.metrics.wsFramesIn,
      framesOut: d.metrics.wsFramesOut,
      delivered: d.metrics.wsDelivered,
      sendAck: d.metrics.sendAck,
      sendDeliver: d.metrics.sendDeliver,
      received: d.metrics.wsRoomEventsReceived,
      fanoutPublished: d.metrics.wsFanoutPublished,
      fanoutResyncs: d.metrics.wsFanoutResyncs,
    },
    fanout: d.fanout,
    log: app.log,
  });
  await hub.start();
  await app.register(wsModule, { hub, allowedOrigins: d.config.ws.allowedOrigins });
  return hub;
}

/** /v1/ws as a plugin: needs the HTTP shell (the upgrade's token check and the error body). */
export const wsModule = chatModule<{ hub: WsHub; allowedOrigins: string[] }>('chat-ws', [], (app, o) => registerWebSocket(app, o.hub, o.allowedOrigins));
