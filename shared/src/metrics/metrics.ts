import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AddressList } from '../http/address-list';
import { ForbiddenError } from '../kernel/errors';
import { serveContractRoute } from '../http/contract-route';
import { metrics as metricsRoute } from '../contract/http/operations';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Every service's metrics: prom-client defaults (process, heap, event loop) plus ours. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const r = { registers: [registry] };
  return {
    registry,
    httpDuration: new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP request duration by route', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, ...r }),
    wsConnections: new Gauge({ name: 'ws_connections', help: 'Open WebSocket connections', ...r }),
    wsFramesIn: new Counter({ name: 'ws_frames_in_total', help: 'WebSocket frames received', ...r }),
    wsFramesOut: new Counter({ name: 'ws_frames_out_total', help: 'WebSocket frames sent', ...r }),
    wsDelivered: new Counter({ name: 'ws_events_delivered_total', help: 'Timeline events routed to subscribed sockets', ...r }),
    wsRoomEventsReceived: new Counter({ name: 'ws_room_events_received_total', help: 'Room timeline events received by this ws instance (from Redis fan-out, or the bus where it feeds sockets directly)', ...r }),
    wsFanoutPublished: new Counter({ name: 'ws_fanout_published_total', help: 'Room timeline events this ws instance relayed from Kafka to Redis pub/sub', ...r }),
    wsFanoutResyncs: new Counter({ name: 'ws_fanout_resyncs_total', help: 'Rooms caught up from the store after room events may have been lost on Redis pub/sub', ...r }),
    sendAck: new Histogram({ name: 'chat_send_ack_seconds', help: 'Send command to durable ack', labelNames: ['transport'], buckets: LATENCY_BUCKETS, ...r }),
    sendDeliver: new Histogram({ name: 'chat_send_deliver_seconds', help: 'Message commit to hand-off to subscribed sockets', buckets: LATENCY_BUCKETS, ...r }),
    writerBatch: new Histogram({ name: 'room_writer_batch_size', help: 'Commands per room-writer transaction', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], ...r }),
    writerTx: new Histogram({ name: 'room_writer_transaction_seconds', help: 'Room-writer transaction duration', buckets: LATENCY_BUCKETS, ...r }),
    busPublished: new Counter({ name: 'eventbus_published_total', help: 'Events published to the bus', labelNames: ['topic'], ...r }),
    busConsumed: new Counter({ name: 'eventbus_consumed_total', help: 'Events handled by consumers', labelNames: ['group'], ...r }),
    busLag: new Gauge({ name: 'eventbus_consumer_lag', help: 'Events published but not yet handled, per group', labelNames: ['group'], ...r }),
    busDeadLetters: new Counter({ name: 'eventbus_dead_letters_total', help: 'Events a group refused deterministically, sent to the dead-letter topic', labelNames: ['group', 'topic'], ...r }),
    busRetries: new Counter({ name: 'eventbus_handler_retries_total', help: 'Transient handler failures, each retried after a backoff', labelNames: ['group', 'topic'], ...r }),
    dbPool: new Gauge({ name: 'db_pool_connections', help: 'Database pool connections by state', labelNames: ['state'], ...r }),
    redisDuration: new Histogram({ name: 'redis_command_duration_seconds', help: 'Redis command duration', labelNames: ['command'], buckets: LATENCY_BUCKETS, ...r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Times every request by its route pattern (never the raw URL, which would explode cardinality). */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics, allowed: AddressList): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  // Public to the router (Prometheus has no token), but served only to the configured addresses.
  serveContractRoute(app, metricsRoute, async (request, reply) => {
    if (!allowed.has(request.ip)) throw new ForbiddenError('metrics are served to METRICS_ALLOWED_ADDRESSES only');
    return reply.status(200).header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
