import { createServiceApp } from '@chat/shared/http/service-app';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { internalToken, rpcClient } from '@chat/shared/rpc/rpc';
import { openInfrastructure } from '@chat/shared/runtime/infrastructure';
import { requireVariable, runService } from '@chat/shared/runtime/run-service';
import { registerWsGateway } from './ws.module';

/**
 * Phase 3 WebSocket gateway, one of several instances. Each instance consumes
 * the stored timeline with a group of its own (from the newest event: replays
 * come from the message service's store), keeps only its own sockets, and
 * sends commands to the room writer. Presence and rate limits live in Redis.
 */
await runService(async (config) => {
  const messageUrl = requireVariable('MESSAGE_URL', 'ws');
  let checks: Record<string, () => Promise<void>> = {};
  const { app, metrics, tokens } = createServiceApp(config, 'ws', () => checks);
  const infra = await openInfrastructure(config, metrics, 'ws', { database: false });
  checks = infra.checks;
  const token = internalToken(config.jwt.secret);
  const hub = await registerWsGateway(app, {
    config,
    bus: infra.bus,
    tokens,
    commands: rpcClient<RoomCommands>(messageUrl, 'room-commands', token),
    queries: rpcClient<RoomQueries>(messageUrl, 'room-queries', token),
    presence: infra.presence,
    limiter: infra.limiter,
    metrics,
  });
  const gauge = setInterval(() => metrics.wsConnections.set(hub.size), 1000);
  gauge.unref();
  return {
    app,
    close: async () => {
      clearInterval(gauge);
      await hub.stop();
      await app.close();
      await infra.close();
    },
  };
}, 'ws');
