import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Test } from 'tap';
import { WebSocketServer } from 'ws';
import { AccessTokens } from '@chat/shared/auth/access-token';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { UnlimitedRateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import { WsClient } from '../../../../test/blackbox/ws-client';
import { WsConnection } from '../../src/ws.connection';
import { WsHub, type WsHubConfig, type WsHubDeps } from '../../src/ws.hub';
import { FlakyBus, FlakyPresence } from './flaky-ports';
import { MemoryRooms } from './memory-rooms';

export interface LogLine {
  level: 'error' | 'warn';
  msg: string;
  err?: unknown;
}

/**
 * A WsHub with real parts (in-memory bus, sockets over loopback) and port
 * doubles that can fail: the rooms' store, presence, the bus's signals. A
 * client's Authorization header names its user (no token check here).
 */
export async function wsFixture(t: Test, config: Partial<WsHubConfig> = {}, options: { fanout?: WsHubDeps['fanout']; commands?: RoomCommands } = {}) {
  const bus = new FlakyBus();
  const rooms = new MemoryRooms(bus);
  const presence = new FlakyPresence();
  const logs: LogLine[] = [];
  const registry = new Registry();
  const r = { registers: [registry] };
  const commands: RoomCommands = options.commands ?? {
    execute: async () => ({ type: 'done' }),
    executeMany: async (cs) => cs.map(() => ({ error: { code: 'FORBIDDEN' as const, message: 'not in this test' } })),
  };
  const hub = new WsHub({
    bus,
    tokens: new AccessTokens({ secret: 'x'.repeat(32), issuer: 'test', audience: 'test', accessTtlSeconds: 900 }),
    commands,
    queries: rooms as unknown as RoomQueries,
    presence,
    limiter: new UnlimitedRateLimiter(),
    messageRule: { ratePerSecond: 1000, burst: 1000 },
    frameRule: { ratePerSecond: 1000, burst: 1000 },
    validateSend: (f) => ({ clientMsgId: String(f.clientMsgId), body: String(f.body) }),
    config: {
      authTimeoutMs: 5000,
      pingIntervalMs: 60_000,
      maxBufferedBytes: 1024 * 1024,
      maxSocketsPerUser: 100,
      replay: { pageBytes: 256 * 1024, maxPageEvents: 200, socketBytesPerSecond: 1e9, userBytesPerSecond: 1e9, userMsPerSecond: 1e6, userReadsInFlight: 2 },
      dependencyTimeoutMs: 300,
      presenceRetryMs: 100,
      ...config,
    },
    instanceId: `test-${Math.random().toString(36).slice(2)}`,
    metrics: {
      framesIn: new Counter({ name: 'in', help: 'in', ...r }),
      framesOut: new Counter({ name: 'out', help: 'out', ...r }),
      delivered: new Counter({ name: 'delivered', help: 'delivered', ...r }),
      sendAck: new Histogram({ name: 'ack', help: 'ack', labelNames: ['transport'], ...r }),
      sendDeliver: new Histogram({ name: 'deliver', help: 'deliver', ...r }),
      received: new Counter({ name: 'received', help: 'received', ...r }),
      fanoutResyncs: new Counter({ name: 'resyncs', help: 'resyncs', ...r }),
    },
    fanout: options.fanout,
    log: {
      error: (obj: { err?: unknown }, msg: string) => logs.push({ level: 'error', msg, err: obj.err }),
      warn: (obj: { err?: unknown }, msg: string) => logs.push({ level: 'warn', msg, err: obj.err }),
    },
  } as ConstructorParameters<typeof WsHub>[0]);
  await hub.start();
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket, request) => {
    const userId = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    new WsConnection(socket, hub).start({ userId, exp: Math.floor(Date.now() / 1000) + 3600 });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: WsClient[] = [];
  t.teardown(async () => {
    for (const c of clients) c.terminate();
    await hub.stop();
    await new Promise((resolve) => server.close(resolve));
    await bus.close();
  });
  /** A socket of `userId`, authenticated by header, after `ready`. */
  const connect = async (userId: string) => {
    const c = await WsClient.ready(url, userId);
    clients.push(c);
    return c;
  };
  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  return { hub, bus, rooms, presence, logs, url, connect, metric };
}

/** Collects the process's unhandled rejections while `t` runs (tap would only see them as a crash). */
export function unhandledRejections(t: Test): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  t.teardown(() => void process.off('unhandledRejection', listener));
  return seen;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
