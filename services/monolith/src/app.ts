import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '@chat/shared/kernel/config';
import { AccessTokens } from '@chat/shared/auth/access-token';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { registerAuthentication } from '@chat/shared/http/authenticate';
import { frameworkErrorHandler, registerErrorHandling } from '@chat/shared/http/error-handler';
import { registerOperations } from '@chat/shared/http/operations';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { createMetrics, registerHttpMetrics } from '@chat/shared/metrics/metrics';
import { registerApi } from '@chat/api/api.module';
import { createMessageModule } from '@chat/message/message.module';
import { clientMsgId, messageBody } from '@chat/message/message-input';
import { registerDbSearch } from '@chat/search/search.module';
import { registerWsGateway } from '@chat/ws/ws.module';
import { registerWeb } from '@chat/web/web.plugin';
import { openInfrastructure } from './infrastructure';

const BODY_LIMIT = 1024 * 1024;

/** The Phase 1 composition root: every module in one process on one database and an in-memory bus. */
export async function buildMonolith(config: Config): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    routerOptions: { maxParamLength: 1000 },
  });
  const metrics = createMetrics('monolith');
  const infra = await openInfrastructure(config, metrics);
  const relay = new OutboxRelay(infra.db.kysely, infra.bus, app.log);
  const tokens = new AccessTokens(config.jwt);
  const rules = {
    messageRule: { ratePerSecond: config.rateLimit.messagesPerSecond, burst: config.rateLimit.messagesBurst },
    authRule: { ratePerSecond: config.rateLimit.authPerSecond, burst: config.rateLimit.authBurst },
    frameRule: { ratePerSecond: Math.max(100, config.rateLimit.messagesPerSecond * 5), burst: Math.max(1000, config.rateLimit.messagesBurst * 10) },
  };

  registerErrorHandling(app);
  registerAuthentication(app, tokens);
  registerHttpMetrics(app, metrics);
  registerOperations(app, infra.checks);

  const message = createMessageModule({ db: infra.db, relay, cache: infra.cache, newId, clock: systemClock, metrics });
  await registerApi(app, { db: infra.db, relay, tokens, refreshTtlSeconds: config.jwt.refreshTtlSeconds, commands: message.writer, queries: message.queries, presence: infra.presence, limiter: infra.limiter, authRule: rules.authRule, newId, clock: systemClock });
  await message.register(app, { limiter: infra.limiter, messageRule: rules.messageRule });
  await registerDbSearch(app, { db: infra.db, queries: message.queries });
  const hub = await registerWsGateway(app, {
    bus: infra.bus,
    tokens,
    commands: message.writer,
    queries: message.queries,
    readAfter: (roomId, after, limit) => message.queries.eventsAfter(roomId, after, limit),
    presence: infra.presence,
    limiter: infra.limiter,
    ...rules,
    validateSend: (f) => ({ clientMsgId: clientMsgId(f.clientMsgId), body: messageBody(f.body) }),
    config: config.ws,
    instanceId: newId(),
    metrics: { framesIn: metrics.wsFramesIn, framesOut: metrics.wsFramesOut, delivered: metrics.wsDelivered },
    log: app.log,
  }, config.ws.allowedOrigins);
  await registerWeb(app);

  // Events committed by a process that died before publishing them go out before any new traffic.
  const recovered = await relay.recover();
  if (recovered > 0) app.log.info({ recovered }, 'published outbox rows left by an earlier process');
  relay.start();

  const gauges = setInterval(() => {
    metrics.wsConnections.set(hub.size);
    const pool = infra.db.poolStats();
    metrics.dbPool.set({ state: 'in_use' }, pool.inUse);
    metrics.dbPool.set({ state: 'idle' }, pool.idle);
    metrics.dbPool.set({ state: 'waiting' }, pool.waiting);
  }, 1000);
  gauges.unref();

  return {
    app,
    close: async () => {
      clearInterval(gauges);
      await hub.stop();
      await app.close();
      await relay.stop();
      await infra.close();
    },
  };
}
