import { createServiceApp } from '@chat/shared/http/service-app';
import { newId } from '@chat/shared/kernel/ids';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { internalToken, rpcClient } from '@chat/shared/rpc/rpc';
import { openInfrastructure } from '@chat/shared/runtime/infrastructure';
import { requireVariable, runService } from '@chat/shared/runtime/run-service';
import { notificationsModule, startNotifications } from './notification.module';

/** Phase 3 notification service: mentions from stored events, in its own database, pushed through the ws instances. */
await runService(async (config) => {
  const messageUrl = requireVariable('MESSAGE_URL', 'notification');
  let checks: Record<string, () => Promise<void>> = {};
  const { app, metrics } = createServiceApp(config, 'notification', () => checks);
  const infra = await openInfrastructure(config, metrics, 'notification');
  checks = infra.checks;
  const queries = rpcClient<RoomQueries>(messageUrl, 'room-queries', internalToken(config.jwt.secret));
  const subscription = await startNotifications({ db: infra.db!, bus: infra.bus, queries, newId });
  await app.register(notificationsModule, { db: infra.db! });
  return {
    app,
    close: async () => {
      await app.close();
      await subscription.close();
      await infra.close();
    },
  };
}, 'notification');
