import type { FastifyInstance } from 'fastify';
import { createServiceApp } from '@chat/shared/http/service-app';
import type { Config } from '@chat/shared/kernel/config';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { apiModule } from '@chat/api/api.module';
import { createMessageModule } from '@chat/message/message.module';
import { registerDbSearch } from '@chat/search/search.module';
import { registerWsGateway } from '@chat/ws/ws.module';
import { webModule } from '@chat/web/web.plugin';
import { notificationsModule, startNotifications } from '@chat/notification/notification.module';
import { openInfrastructure } from '@chat/shared/runtime/infrastructure';
import { httpBucketRules } from '@chat/shared/rate-limit/rules';
import { registerRateLimits } from '@chat/shared/http/rate-limits';

/** The Phase 1 composition root: every module in one process on one database and an in-memory bus. */
export async function buildMonolith(config: Config): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  let checks: Record<string, () => Promise<void>> = {};
  const { app, metrics, tokens } = createServiceApp(config, 'monolith', () => checks);
  const infra = await openInfrastructure(config, metrics);
  checks = infra.checks;
  const relay = new OutboxRelay(infra.db!.kysely, infra.bus, app.log);

  // Before any route: the routes whose RouteSpec names a bucket get their rate limit (the WebSocket hub takes from the same limiter).
  await registerRateLimits(app, infra.limiter, httpBucketRules(config));
  const message = createMessageModule({ db: infra.db!, relay, cache: infra.cache, newId, clock: systemClock, metrics, roomCacheSize: config.writer.roomCacheSize });
  await app.register(apiModule, { db: infra.db!, relay, tokens, refreshTtlSeconds: config.jwt.refreshTtlSeconds, passwordHashLogN: config.passwordHashLogN, auth: config.auth, commands: message.writer, queries: message.queries, presence: infra.presence, limiter: infra.limiter, newId, clock: systemClock });
  await message.register(app);
  await registerDbSearch(app, { db: infra.db!, queries: message.queries });
  const hub = await registerWsGateway(app, {
    config,
    bus: infra.bus,
    tokens,
    commands: message.writer,
    queries: message.queries,
    presence: infra.presence,
    limiter: infra.limiter,
    metrics,
  });
  const notifications = await startNotifications({ db: infra.db!, bus: infra.bus, queries: message.queries, newId });
  await app.register(notificationsModule, { db: infra.db! });
  await app.register(webModule);

  // Events committed by a process that died before publishing them go out before any new traffic.
  const recovered = await relay.recover();
  if (recovered > 0) app.log.info({ recovered }, 'published outbox rows left by an earlier process');
  relay.start();

  const gauges = setInterval(() => {
    metrics.wsConnections.set(hub.size);
    const pool = infra.db!.poolStats();
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
      await notifications.close();
      await app.close();
      await message.writer.idle();
      await relay.stop();
      await infra.close();
    },
  };
}
