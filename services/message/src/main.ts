import { outboxLeaseFor } from '@chat/shared/events/outbox-lease';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { createServiceApp } from '@chat/shared/http/service-app';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { httpBucketRules } from '@chat/shared/rate-limit/rules';
import { registerRateLimits } from '@chat/shared/http/rate-limits';
import { exposeRpc, internalToken } from '@chat/shared/rpc/rpc';
import { ROOM_COMMANDS_RPC, ROOM_QUERIES_RPC } from '@chat/shared/contract/rpc/room-ports';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { openInfrastructure } from '@chat/shared/runtime/infrastructure';
import { runService } from '@chat/shared/runtime/run-service';
import { createMessageModule } from './message.module';

/**
 * Phase 3 message service: the room writer. It owns the timeline tables,
 * assigns seq, publishes stored events to Kafka, serves history and timeline
 * reads, and answers room commands and queries for the other services.
 */
await runService(async (config) => {
  let checks: Record<string, () => Promise<void>> = {};
  const { app, metrics } = createServiceApp(config, 'message', () => checks);
  const infra = await openInfrastructure(config, metrics, 'message');
  checks = infra.checks;
  // Several instances share the outbox table: one relay publishes at a time (ADR 0014).
  const relay = new OutboxRelay(infra.db!.kysely, infra.bus, app.log, { lease: outboxLeaseFor(config.databaseUrl, app.log) });
  const message = createMessageModule({ db: infra.db!, relay, cache: infra.cache, newId, clock: systemClock, metrics, roomCacheSize: config.writer.roomCacheSize });
  await registerRateLimits(app, infra.limiter, httpBucketRules(config));
  await message.register(app);
  const token = internalToken(config.jwt.secret);
  exposeRpc<RoomCommands>(app, 'room-commands', message.writer, ROOM_COMMANDS_RPC, token);
  exposeRpc<RoomQueries>(app, 'room-queries', message.queries, ROOM_QUERIES_RPC, token);
  // The relay publishes the outbox oldest first, rows an earlier process left included, and retries
  // while the broker is away: a service starts (and answers, 503 where it must) with Kafka down.
  relay.start();
  return {
    app,
    close: async () => {
      await app.close();
      await message.writer.idle();
      await relay.stop();
      await infra.close();
    },
  };
}, 'message');
