import type { Counter, Histogram } from 'prom-client';
import type { AccessTokens } from '@chat/shared/auth/access-token';
import type { EventBus, Subscription } from '@chat/shared/events/event-bus';
import { topicOf, type EventEnvelope } from '@chat/shared/events/event-envelope';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { AppError, isDependencyUnavailable, NotFoundError, RateLimitedError } from '@chat/shared/kernel/errors';
import type { Presence } from '@chat/shared/ports/presence';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { BucketRule, RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import type { ClientFrame } from './ws.frames';
import type { WsConnection } from './ws.connection';
import { UserReplayBudget, type ReplayLimits } from './replay-budget';
import { ReplayScheduler } from './replay-scheduler';

export interface WsHubConfig {
  authTimeoutMs: number;
  pingIntervalMs: number;
  maxBufferedBytes: number;
  /** Authenticated sockets per user on this instance; one more is refused (RATE_LIMITED, close 1008). */
  maxSocketsPerUser: number;
  replay: ReplayLimits;
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
  metrics: { framesIn: Counter; framesOut: Counter; delivered: Counter; sendAck: Histogram<'transport'>; sendDeliver: Histogram };
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * This instance's sockets. It consumes stored timeline events and signals
 * (typing, presence) from the bus with a group of its own, and routes each to
 * the local sockets subscribed to the room: one serialized frame for all.
 */
export class WsHub {
  private readonly connections = new Set<WsConnection>();
  private readonly byRoom = new Map<string, Set<WsConnection>>();
  /** Authenticated sockets per user: notifications go to these, not to a scan of every socket. */
  private readonly byUser = new Map<string, Set<WsConnection>>();
  private subs: Subscription[] = [];
  private pingTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Event frames, serialized once per event object: for every socket a live event goes to, and for a replay page's weighing and sending. */
  private readonly frames = new WeakMap<TimelineEvent, string>();
  /** Replay budgets of users with sockets here, and of users gone while their budget still owes. */
  private readonly replayBudgets = new Map<string, UserReplayBudget>();

  constructor(private readonly d: WsHubDeps) {}

  get config() { return this.d.config; }
  get tokens() { return this.d.tokens; }
  get log() { return this.d.log; }
  get metrics() { return this.d.metrics; }
  readonly readAfter = (roomId: string, after: number, limit: number) => this.d.queries.eventsAfter(roomId, after, limit);
  get size() { return this.connections.size; }

  async start(): Promise<void> {
    const group = `ws-${this.d.instanceId}`;
    // One subscription for both topics: Kafka groups assume every member reads the same topics.
    // A new instance starts at the newest event; what a client missed comes from the store.
    this.subs.push(await this.d.bus.subscribe({
      group,
      topics: ['room', 'signal'],
      fromLatest: true,
      handler: async (e) => (topicOf(e.type) === 'room' ? this.onTimeline(e.payload as TimelineEvent) : this.onSignal(e)),
    }));
    this.pingTimer = setInterval(() => {
      for (const c of this.connections) c.heartbeat();
      void this.d.presence.heartbeat([...this.connections].filter((c) => c.userId).map((c) => [c.userId!, c.id] as [string, string])).catch(() => undefined);
    }, this.d.config.pingIntervalMs);
    this.pingTimer.unref();
    // Access-token expiry for every socket from one timer (a Timeout per socket was ~170 B of each idle socket).
    this.expiryTimer = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) if (c.expiresAt <= now) c.expire();
    }, 1000);
    this.expiryTimer.unref();
  }

  /** The event frame for a timeline event, serialized once however many sockets get it. */
  eventFrame(event: TimelineEvent): string {
    let text = this.frames.get(event);
    if (text === undefined) {
      text = JSON.stringify({ type: 'event', roomId: event.roomId, seq: event.seq, event });
      this.frames.set(event, text);
    }
    return text;
  }

  /**
   * Registers a socket that has just authenticated, unless its user already
   * holds maxSocketsPerUser sockets here. Synchronous: two sockets
   * authenticating at once cannot both take the last place.
   */
  admit(c: WsConnection): boolean {
    const userId = c.userId!;
    let mine = this.byUser.get(userId);
    if ((mine?.size ?? 0) >= this.d.config.maxSocketsPerUser) return false;
    if (!mine) this.byUser.set(userId, (mine = new Set()));
    mine.add(c);
    this.connections.add(c);
    return true;
  }

  /** Presence for an admitted socket: online to the user's rooms when it is the user's first. */
  async announce(c: WsConnection): Promise<void> {
    const { first } = await this.d.presence.connect(c.userId!, c.id);
    if (first) await this.signal('presence.changed', c.userId!, { userId: c.userId, status: 'online' });
  }

  /** Takes one frame from the user's frame bucket; RATE_LIMITED when it is empty. */
  async takeFrame(userId: string): Promise<void> {
    const verdict = await this.d.limiter.take(`frame:${userId}`, this.d.frameRule);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }

  /** The replay scheduler of a socket, paid from the socket's own budget and its user's. */
  replaySchedulerFor(c: WsConnection): ReplayScheduler {
    const userId = c.userId!;
    let budget = this.replayBudgets.get(userId);
    if (!budget) this.replayBudgets.set(userId, (budget = new UserReplayBudget(this.d.config.replay)));
    return new ReplayScheduler(c, budget, this.d.config.replay, this.readAfter, (e) => Buffer.byteLength(this.eventFrame(e)), (err) => this.d.log.error({ err }, 'ws replay failed'));
  }

  /** Forgets a gone user's replay budget once it owes nothing (a reconnect does not start afresh). */
  private forgetReplayBudget(userId: string): void {
    const budget = this.replayBudgets.get(userId);
    if (!budget || this.byUser.has(userId)) return;
    const ms = budget.msUntilIdle();
    if (ms <= 0) this.replayBudgets.delete(userId);
    else setTimeout(() => this.forgetReplayBudget(userId), ms).unref();
  }

  async detach(c: WsConnection): Promise<void> {
    if (!this.connections.delete(c)) return;
    const mine = this.byUser.get(c.userId!);
    mine?.delete(c);
    if (mine?.size === 0) {
      this.byUser.delete(c.userId!);
      this.forgetReplayBudget(c.userId!);
    }
    for (const roomId of c.subscriptions.keys()) this.leaveRoom(c, roomId);
    const { last } = await this.d.presence.disconnect(c.userId!, c.id).catch(() => ({ last: false }));
    if (last) await this.signal('presence.changed', c.userId!, { userId: c.userId, status: 'offline' }).catch(() => undefined);
  }

  private leaveRoom(c: WsConnection, roomId: string): void {
    const set = this.byRoom.get(roomId);
    set?.delete(c);
    if (set?.size === 0) this.byRoom.delete(roomId);
  }

  private async signal(type: string, key: string, payload: object): Promise<void> {
    await this.d.bus.publish([{ id: crypto.randomUUID(), type, version: 1, key, occurredAt: new Date().toISOString(), payload }]);
  }

  /** One frame of an authenticated socket, already counted by takeFrame. */
  async handle(c: WsConnection, frame: Exclude<ClientFrame, { type: 'auth' }>): Promise<void> {
    const userId = c.userId!;
    switch (frame.type) {
      case 'ping':
        return void c.send({ type: 'pong' });
      case 'subscribe': {
        const current = c.subscriptions.get(frame.roomId);
        if (current && !current.closed) {
          // Subscribed already (and still a member: leaving closes the subscription). Reads nothing:
          // a position at or behind what was sent costs nothing, one ahead only skips forward.
          current.moveTo(frame.sinceSeq ?? current.head);
          return void c.send({ type: 'subscribed', roomId: frame.roomId, lastSeq: current.head });
        }
        if (!(await this.d.queries.roleOf(frame.roomId, userId))) throw new NotFoundError('room');
        const sub = c.subscribe(frame.roomId);
        let set = this.byRoom.get(frame.roomId);
        if (!set) this.byRoom.set(frame.roomId, (set = new Set()));
        set.add(c);
        let lastSeq: number;
        try {
          lastSeq = await this.d.queries.lastSeq(frame.roomId);
        } catch (err) {
          if (c.subscriptions.get(frame.roomId) === sub) {
            sub.close();
            c.subscriptions.delete(frame.roomId);
            this.leaveRoom(c, frame.roomId);
          }
          throw err;
        }
        c.send({ type: 'subscribed', roomId: frame.roomId, lastSeq });
        // The replay streams in the background, paced by the socket's scheduler: later frames (ping, send) are not held behind it.
        sub.start(Math.min(frame.sinceSeq ?? lastSeq, lastSeq), lastSeq);
        return;
      }
      case 'unsubscribe':
        c.subscriptions.get(frame.roomId)?.close();
        c.subscriptions.delete(frame.roomId);
        this.leaveRoom(c, frame.roomId);
        return void c.send({ type: 'unsubscribed', roomId: frame.roomId });
      case 'send': {
        const input = this.d.validateSend(frame);
        const sendVerdict = await this.d.limiter.take(`msg:${userId}`, this.d.messageRule);
        if (!sendVerdict.allowed) throw new RateLimitedError(sendVerdict.retryAfterSeconds);
        c.pendingSends.push({ roomId: frame.roomId, ...input, ack: this.d.metrics.sendAck.startTimer({ transport: 'ws' }) });
        if (!c.sending) void this.flushSends(c);
        return;
      }
      case 'typing':
        if (!(await this.d.queries.roleOf(frame.roomId, userId))) throw new NotFoundError('room');
        return this.signal('typing.started', frame.roomId, { roomId: frame.roomId, userId });
    }
  }

  /**
   * Hands a socket's queued sends to the room writer in one call, in order,
   * while later frames go on being read; answers each with its ack or error.
   */
  private async flushSends(c: WsConnection): Promise<void> {
    c.sending = true;
    try {
      while (c.pendingSends.length > 0 && c.userId) {
        const batch = c.pendingSends.splice(0, 100);
        const commands = batch.map((s) => ({ type: 'postMessage' as const, actorId: c.userId!, roomId: s.roomId, clientMsgId: s.clientMsgId, body: s.body }));
        const outcomes = await this.d.commands.executeMany(commands).catch((err) => {
          const error = isDependencyUnavailable(err) || err instanceof AppError ? { code: err instanceof AppError ? err.code : 'UNAVAILABLE', message: String(err.message ?? err) } : { code: 'INTERNAL', message: 'internal error' };
          if (error.code === 'INTERNAL') this.d.log.error({ err }, 'send batch failed');
          return batch.map(() => ({ error }));
        });
        batch.forEach((s, i) => {
          const o = outcomes[i];
          if (o && 'result' in o && o.result.type === 'message') {
            s.ack();
            c.send({ type: 'ack', roomId: s.roomId, clientMsgId: s.clientMsgId, messageId: o.result.message.id, seq: o.result.message.seq });
          } else {
            const error = o && 'error' in o ? o.error : { code: 'INTERNAL', message: 'internal error' };
            c.send({ type: 'error', code: error.code, message: error.message, roomId: s.roomId, clientMsgId: s.clientMsgId });
          }
        });
      }
    } finally {
      c.sending = false;
    }
  }

  private onTimeline(event: TimelineEvent): void {
    if (event.type === 'message.posted') this.d.metrics.sendDeliver.observe(Math.max(0, Date.now() - Date.parse(event.message.createdAt)) / 1000);
    const set = this.byRoom.get(event.roomId);
    if (!set) return;
    for (const c of [...set]) {
      const sub = c.subscriptions.get(event.roomId);
      if (!sub) continue;
      if (event.type === 'room.deleted') {
        this.unsubscribe(c, event.roomId, 'room.deleted');
        continue;
      }
      sub.onLive(event);
      this.d.metrics.delivered.inc();
      if (event.type === 'member.left' && event.userId === c.userId) this.unsubscribe(c, event.roomId, 'removed');
    }
  }

  private unsubscribe(c: WsConnection, roomId: string, reason: string): void {
    c.subscriptions.get(roomId)?.close();
    c.subscriptions.delete(roomId);
    this.leaveRoom(c, roomId);
    c.send({ type: 'unsubscribed', roomId, reason });
  }

  private async onSignal(e: EventEnvelope): Promise<void> {
    if (e.type === 'typing.started') {
      const { roomId, userId } = e.payload as { roomId: string; userId: string };
      const text = JSON.stringify({ type: 'typing', roomId, userId });
      for (const c of this.byRoom.get(roomId) ?? []) if (c.userId !== userId) c.sendText(text);
      return;
    }
    if (e.type === 'notification.created') {
      const { userId, notification } = e.payload as { userId: string; notification: object };
      const text = JSON.stringify({ type: 'notification', notification });
      for (const c of this.byUser.get(userId) ?? []) c.sendText(text);
      return;
    }
    if (e.type === 'presence.changed') {
      const { userId, status } = e.payload as { userId: string; status: string };
      // The sockets subscribed to the user's rooms, each once: O(their members), not a scan of every socket.
      const text = JSON.stringify({ type: 'presence', userId, status });
      const told = new Set<WsConnection>();
      for (const roomId of await this.d.queries.roomIdsOf(userId)) {
        for (const c of this.byRoom.get(roomId) ?? []) {
          if (c.userId === userId || told.has(c)) continue;
          told.add(c);
          c.sendText(text);
        }
      }
    }
  }

  /** Graceful shutdown: stop consuming, tell clients to come back, close sockets. */
  async stop(): Promise<void> {
    clearInterval(this.pingTimer);
    clearInterval(this.expiryTimer);
    await Promise.all(this.subs.map((s) => s.close()));
    for (const c of this.connections) c.socket.close(1001, 'server shutting down; reconnect with sinceSeq');
  }
}
