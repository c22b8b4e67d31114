import { roomCommandsClient } from '@chat/shared/rpc/room-commands-client';
import { outboxLeaseFor } from '@chat/shared/events/outbox-lease';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { createServiceApp } from '@chat/shared/http/service-app';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { httpBucketRules } from '@chat/shared/rate-limit/rules';
import { registerRateLimits } from '@chat/shared/http/rate-limits';
import { internalToken, rpcClient } from '@chat/shared/rpc/rpc';
import { openInfrastructure } from '@chat/shared/runtime/infrastructure';
import { requireVariable, runService } from '@chat/shared/runtime/run-service';
import { apiModule } from './api.module';

/**
 * Phase 3 api service, the edge: auth and users (its own tables), rooms and
 * members as commands to the message service's room writer. MESSAGE_URL
 * names the message service.
 */
await runService(async (config) => {
  const messageUrl = requireVariable('MESSAGE_URL', 'api');
  let checks: Record<string, () => Promise<void>> = {};
  const { app, metrics, tokens } = createServiceApp(config, 'api', () => checks);
  const infra = await openInfrastructure(config, metrics, 'api');
  checks = { ...infra.checks, message: async () => void (await fetch(`${messageUrl}/healthz`, { signal: AbortSignal.timeout(1500) }).then((r) => { if (!r.ok) throw new Error(); })) };
  // Several instances share the outbox table: one relay publishes at a time (ADR 0014).
  const relay = new OutboxRelay(infra.db!.kysely, infra.bus, app.log, { lease: outboxLeaseFor(config.databaseUrl, app.log) });
  const token = internalToken(config.jwt.secret);
  const commands = roomCommandsClient(messageUrl, token);
  const queries = rpcClient<RoomQueries>(messageUrl, 'room-queries', token);
  await registerRateLimits(app, infra.limiter, httpBucketRules(config));
  await app.register(apiModule, { db: infra.db!, relay, tokens, refreshTtlSeconds: config.jwt.refreshTtlSeconds, passwordHashLogN: config.passwordHashLogN, auth: config.auth, commands, queries, presence: infra.presence, limiter: infra.limiter, newId, clock: systemClock });
  // The relay publishes the outbox oldest first, rows an earlier process left included, and retries
  // while the broker is away: a service starts (and answers, 503 where it must) with Kafka down.
  relay.start();
  return {
    app,
    close: async () => {
      await app.close();
      await relay.stop();
      await infra.close();
    },
  };
}, 'api');
