import { roomCommandsClient } from '@chat/shared/rpc/room-commands-client';
import { hasShardedPubSub, RedisRoomChannels, RedisRoomPublisher, RoomChannelNames } from '@chat/shared/fanout/redis-room-fanout';
import { createServiceApp } from '@chat/shared/http/service-app';
import { newId } from '@chat/shared/kernel/ids';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { internalToken, rpcClient } from '@chat/shared/rpc/rpc';
import { openInfrastructure } from '@chat/shared/runtime/infrastructure';
import { requireVariable, runService } from '@chat/shared/runtime/run-service';
import { registerWsGateway } from './ws.module';

/**
 * Phase 3 WebSocket gateway, one of several instances. The instances share
 * one consumer group (ws-fanout) that relays the stored timeline to Redis,
 * one channel per room; each instance listens only to its sockets' rooms
 * (ADR 0011), and reads signals with a group of its own. Replays come from
 * the message service's store. Presence and rate limits live in Redis.
 */
await runService(async (config) => {
  const messageUrl = requireVariable('MESSAGE_URL', 'ws');
  let checks: Record<string, () => Promise<void>> = {};
  const { app, metrics, tokens } = createServiceApp(config, 'ws', () => checks);
  const infra = await openInfrastructure(config, metrics, 'ws', { database: false });
  checks = infra.checks;
  const token = internalToken(config.jwt.secret);
  let fanout: { channels: RedisRoomChannels; publisher: RedisRoomPublisher } | undefined;
  if (infra.redis && config.redisUrl) {
    const sharded = await hasShardedPubSub(infra.redis);
    const names = new RoomChannelNames(config.kafkaTopicPrefix);
    fanout = {
      publisher: new RedisRoomPublisher(infra.redis, names, sharded),
      channels: new RedisRoomChannels({
        redisUrl: config.redisUrl,
        names,
        sharded,
        connectionName: `${config.kafkaTopicPrefix}ws-rooms-${newId()}`.replace(/[^A-Za-z0-9._-]/g, '_'),
        reconnectDelayMs: config.ws.fanoutReconnectDelayMs,
        lateMs: 5000,
        onError: (what, err) => app.log.warn({ err }, `ws: ${what} failed`),
      }),
    };
    app.log.info({ sharded }, 'ws: room events over Redis pub/sub');
  }
  const hub = await registerWsGateway(app, {
    config,
    bus: infra.bus,
    tokens,
    commands: roomCommandsClient(messageUrl, token),
    queries: rpcClient<RoomQueries>(messageUrl, 'room-queries', token),
    presence: infra.presence,
    limiter: infra.limiter,
    metrics,
    fanout,
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
