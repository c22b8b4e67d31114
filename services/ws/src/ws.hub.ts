import type { Counter, Histogram } from 'prom-client';
import type { AccessTokens } from '@chat/shared/auth/access-token';
import type { EventBus } from '@chat/shared/events/event-bus';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { RoomChannels, RoomEventPublisher } from '@chat/shared/fanout/room-fanout';
import type { Presence } from '@chat/shared/ports/presence';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { BucketRule, RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import { Background, type WsLog } from './background';
import { bounded } from './bounded-ports';
import { EventFrames } from './event-frames';
import { FrameHandler } from './frame-handler';
import { RecentDepartures, type EndReason } from './membership';
import { MessageSender } from './message-sender';
import { PresenceTracker } from './presence-tracker';
import type { ReplayLimits } from './replay-budget';
import { ReplayBudgets } from './replay-budgets';
import { ReplayScheduler } from './replay-scheduler';
import { RoomFanoutRelay } from './room-fanout-relay';
import { RoomIndex } from './room-index';
import type { ReadAfter, RoomSubscription } from './room-subscription';
import { RoomSubscriptions } from './room-subscriptions';
import { SignalFanout, signalPublisher } from './signals';
import { TimelineConsumer } from './timeline-consumer';
import { UserSockets } from './user-sockets';
import type { ConnectionHost, WsConnection } from './ws.connection';
import type { ClientFrame } from './ws.frames';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export interface WsHubConfig {
  authTimeoutMs: number;
  pingIntervalMs: number;
  maxBufferedBytes: number;
  /** Authenticated sockets per user on this instance; one more is refused (RATE_LIMITED, close 1008). */
  maxSocketsPerUser: number;
  replay: ReplayLimits;
  /** How long a call to a dependency (store, presence, rate limiter, signal publish) may take before it counts as UNAVAILABLE. */
  dependencyTimeoutMs: number;
  /** First pause before a failed presence lease is tried again (doubling, at most 10 s). */
  presenceRetryMs: number;
}

export interface WsHubDeps {
  bus: EventBus;
  tokens: AccessTokens;
  commands: RoomCommands;
  queries: RoomQueries;
  presence: Presence;
  limiter: RateLimiter;
  messageRule: BucketRule;
  frameRule: BucketRule;
  validateSend: (frame: { clientMsgId: unknown; body: unknown }) => { clientMsgId: string; body: string };
  config: WsHubConfig;
  instanceId: string;
  metrics: { framesIn: Counter; framesOut: Counter; delivered: Counter; sendAck: Histogram<'transport'>; sendDeliver: Histogram; received?: Counter; fanoutPublished?: Counter; fanoutResyncs?: Counter };
  log: WsLog;
  /**
   * Room events over Redis pub/sub (ADR 0011): this instance relays its share
   * of the room topic (group ws-fanout) to the rooms' channels and listens
   * only to the channels of rooms its sockets watch. Absent: every room event
   * comes from the bus in a group of this instance's own (Phase 1).
   */
  fanout?: { channels: RoomChannels; publisher: RoomEventPublisher };
}

/** Rooms caught up at once after a loss on the room channels (one lastSeq read each). */
const RESYNC_CONCURRENCY = 8;

/**
 * This instance's WebSocket service, put together: its sockets (by user), the
 * room index, the bus consumer, subscriptions, frames, presence and replay
 * budgets, and the sweeps over every socket (pings, token expiry).
 */
export class WsHub implements ConnectionHost {
  readonly background: Background;
  private readonly frames = new EventFrames();
  private readonly users: UserSockets<WsConnection>;
  private readonly index: RoomIndex<WsConnection>;
  private readonly relay: RoomFanoutRelay | undefined;
  private readonly lastSeq: RoomQueries['lastSeq'];
  private readonly presence: PresenceTracker;
  private readonly consumer: TimelineConsumer<WsConnection>;
  private readonly subscriptions: RoomSubscriptions<WsConnection>;
  private readonly frameHandler: FrameHandler<WsConnection>;
  private readonly budgets: ReplayBudgets;
  private readonly readAfter: ReadAfter;
  private stopSweeps: Array<() => void> = [];
  private readonly departures: RecentDepartures;

  constructor(private readonly d: WsHubDeps) {
    const ms = d.config.dependencyTimeoutMs;
    this.background = new Background(d.log);
    const queries = bounded(d.queries, 'room queries', ['roleOf', 'lastSeq', 'eventsAfter', 'membershipChanges', 'roomIdsOf'], ms);
    const publishSignal = signalPublisher(bounded(d.bus, 'event bus', ['publish'], ms).publish);
    const departures = new RecentDepartures();
    this.readAfter = queries.eventsAfter;
    this.lastSeq = queries.lastSeq;
    const channels = d.fanout?.channels;
    this.index = new RoomIndex<WsConnection>(channels && { watched: (roomId) => channels.watch(roomId), unwatched: (roomId) => channels.unwatch(roomId) });
    this.relay = d.fanout && new RoomFanoutRelay(d.bus, d.fanout.publisher, d.metrics.fanoutPublished);
    this.users = new UserSockets(d.config.maxSocketsPerUser);
    this.presence = new PresenceTracker(bounded(d.presence, 'presence', ['connect', 'disconnect', 'onlineAmong', 'heartbeat'], ms), publishSignal, this.background, d.config.presenceRetryMs);
    // With room channels, a subscribe reads lastSeq once the room's channel is subscribed (waiting at most the dependency timeout:
    // a subscribe confirmed later reports the room lost, and it is caught up from the store).
    this.subscriptions = new RoomSubscriptions(this.index, queries, departures, channels && ((roomId) => Promise.race([channels.ready(roomId), sleep(ms)])));
    this.departures = departures;
    this.frameHandler = new FrameHandler({
      subscriptions: this.subscriptions,
      sender: new MessageSender(d.commands, this.background, d.log, d.metrics.sendAck),
      queries,
      publishSignal,
      limiter: bounded(d.limiter, 'rate limiter', ['take'], ms),
      messageRule: d.messageRule,
      frameRule: d.frameRule,
      validateSend: d.validateSend,
    });
    this.consumer = new TimelineConsumer({
      bus: d.bus,
      group: `ws-${d.instanceId}`,
      index: this.index,
      departures,
      signals: new SignalFanout(this.index, this.users, queries, this.background),
      background: this.background,
      metrics: d.metrics,
      timeline: d.fanout ? 'external' : 'bus',
    });
    this.budgets = new ReplayBudgets(d.config.replay, (userId) => this.users.has(userId), this.background);
  }

  get config() { return this.d.config; }
  get tokens() { return this.d.tokens; }
  get metrics() { return this.d.metrics; }
  get size() { return this.users.size; }

  /** Sockets watching the room here (operations and tests). */
  watching(roomId: string): number {
    return this.index.count(roomId);
  }

  async start(): Promise<void> {
    if (this.d.fanout) {
      await this.d.fanout.channels.start({
        event: (e) => this.consumer.onTimeline(e),
        departure: (e) => this.departures.note(e),
        lost: (roomIds) => this.resync(roomIds),
      });
    }
    await this.consumer.start();
    await this.relay?.start();
    this.stopSweeps = [
      this.background.every(this.d.config.pingIntervalMs, 'heartbeat sweep', () => this.heartbeat()),
      // Access-token expiry for every socket from one timer (a Timeout per socket was ~170 B of each idle socket).
      this.background.every(1000, 'token expiry sweep', () => this.expire()),
    ];
  }

  private heartbeat(): void {
    const leases: Array<[string, string]> = [];
    for (const c of this.users) {
      this.background.run('socket ping', () => c.heartbeat());
      leases.push([c.userId!, c.id]);
    }
    this.presence.heartbeat(leases);
  }

  private expire(): void {
    const now = Date.now();
    for (const c of this.users) if (c.expiresAt <= now) this.background.run('token expiry', () => c.expire());
  }

  /**
   * Room events of these rooms may have been lost on the way here (the room
   * channel connection dropped, a subscribe confirmed late): every
   * subscription behind the store's head catches up from the store, through
   * its replay scheduler, before it delivers more.
   */
  private resync(roomIds: readonly string[]): void {
    const rooms = roomIds.filter((r) => this.index.count(r) > 0);
    if (rooms.length === 0) return;
    this.d.metrics.fanoutResyncs?.inc(rooms.length);
    let next = 0;
    const worker = async () => {
      while (next < rooms.length) {
        const roomId = rooms[next++]!;
        try {
          const lastSeq = await this.lastSeq(roomId);
          for (const [, sub] of this.index.watchers(roomId)) sub.catchUpTo(lastSeq);
        } catch {
          // The store's head is unknown: each subscription reads after its position (retrying with backoff).
          for (const [, sub] of this.index.watchers(roomId)) sub.resync();
        }
      }
    };
    for (let i = 0; i < Math.min(RESYNC_CONCURRENCY, rooms.length); i++) this.background.run('room catch-up', worker);
  }

  /** A socket has just authenticated: registered (unless its user holds too many here) and announced. */
  admit(c: WsConnection): boolean {
    if (!this.users.admit(c.userId!, c)) return false;
    this.presence.online(c.userId!, c.id);
    return true;
  }

  takeFrame(userId: string): Promise<void> {
    return this.frameHandler.takeFrame(userId);
  }

  handle(c: WsConnection, frame: Exclude<ClientFrame, { type: 'auth' }>): Promise<void> {
    return this.frameHandler.handle(c, frame);
  }

  ended(c: WsConnection, sub: RoomSubscription, reason: EndReason): void {
    this.subscriptions.ended(c, sub, reason);
  }

  /** A socket closed: its subscriptions, its place, its presence lease. */
  closed(c: WsConnection): void {
    this.index.removeAll(c);
    const userId = c.userId;
    if (!userId || !this.users.remove(userId, c)) return;
    this.presence.offline(userId, c.id);
    if (!this.users.has(userId)) this.budgets.release(userId);
  }

  /** The event frame for a timeline event, serialized once however many sockets get it. */
  eventFrame(event: TimelineEvent): string {
    return this.frames.of(event);
  }

  /** The replay scheduler of a socket, paid from the socket's own budget and its user's. */
  replaySchedulerFor(c: WsConnection): ReplayScheduler {
    return new ReplayScheduler(c, this.budgets.of(c.userId!), this.d.config.replay, this.readAfter, (e) => this.frames.bytes(e), (err) => this.background.report('replay', err));
  }

  /** Graceful shutdown: stop consuming, tell clients to come back, close sockets. */
  async stop(): Promise<void> {
    for (const stop of this.stopSweeps) stop();
    await this.relay?.stop();
    await this.consumer.stop();
    await this.d.fanout?.channels.stop();
    for (const c of this.users) this.background.run('socket close', () => c.socket.close(1001, 'server shutting down; reconnect with sinceSeq'));
  }
}
