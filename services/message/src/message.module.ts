import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import type { OutboxRelay } from '@chat/shared/events/outbox-relay';
import type { Clock, IdGenerator } from '@chat/shared/kernel/ids';
import type { Metrics } from '@chat/shared/metrics/metrics';
import type { RoomCache } from '@chat/shared/ports/room-cache';
import { chatModule, RATE_LIMITS } from '@chat/shared/http/module-plugin';
import { messagesRoutes, type MessagesRoutesDeps } from './messages.routes';
import { DbRoomQueries } from './room-queries.db';
import { RoomWriter } from './room-writer';

export interface MessageModuleDeps {
  db: Db;
  relay: OutboxRelay;
  cache: RoomCache;
  newId: IdGenerator;
  clock: Clock;
  metrics: Metrics;
  /** Most idle room states the writer keeps in memory (config WRITER_ROOM_CACHE_SIZE). */
  roomCacheSize: number;
}

/** The message routes as a plugin: needs the HTTP shell and the rate limits (the msg bucket). */
export const messagesModule = chatModule<MessagesRoutesDeps>('chat-messages', [RATE_LIMITS], messagesRoutes);

/** The room writer (seq, timeline, projections) and the history/timeline reads. */
export function createMessageModule(d: MessageModuleDeps) {
  const writer = new RoomWriter({
    db: d.db,
    relay: d.relay,
    cache: d.cache,
    newId: d.newId,
    clock: d.clock,
    roomCacheSize: d.roomCacheSize,
    onBatch: (size, seconds) => {
      d.metrics.writerBatch.observe(size);
      d.metrics.writerTx.observe(seconds);
    },
  });
  const queries = new DbRoomQueries(d.db, d.cache);
  return {
    writer,
    queries,
    /** The message routes; their rate limit (RouteSpec.rateLimit 'msg') needs registerRateLimits on `app` first. */
    register: (app: FastifyInstance) => app.register(messagesModule, { commands: writer, queries, sendAck: d.metrics.sendAck }),
  };
}
