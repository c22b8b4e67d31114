import { Redis } from 'ioredis';
import type { TimelineEvent } from '../events/timeline-events';
import type { RoomChannelHandlers, RoomChannels, RoomEventPublisher } from './room-fanout';

/** Channel names: one per room, plus one for departures; `prefix` keeps deployments (and test clusters) apart. */
export class RoomChannelNames {
  private readonly roomPrefix: string;
  readonly departures: string;

  constructor(prefix: string) {
    this.roomPrefix = `${prefix}chat:room:`;
    this.departures = `${prefix}chat:departures`;
  }

  room(roomId: string): string {
    return this.roomPrefix + roomId;
  }

  roomIdOf(channel: string): string | undefined {
    return channel.startsWith(this.roomPrefix) ? channel.slice(this.roomPrefix.length) : undefined;
  }
}

/** True when the server has sharded pub/sub (SPUBLISH/SSUBSCRIBE: Redis 7 and later). */
export async function hasShardedPubSub(redis: Redis): Promise<boolean> {
  const info = await redis.info('server');
  const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0);
  return major >= 7;
}

const isDeparture = (e: TimelineEvent) => e.type === 'member.left' || e.type === 'room.deleted';

/** Publishes each event to its room's channel (SPUBLISH where the server has it), departures also to the departures channel. */
export class RedisRoomPublisher implements RoomEventPublisher {
  constructor(private readonly redis: Redis, private readonly names: RoomChannelNames, private readonly sharded: boolean) {}

  async publish(events: readonly TimelineEvent[]): Promise<void> {
    if (events.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const e of events) {
      const text = JSON.stringify(e);
      if (this.sharded) pipeline.spublish(this.names.room(e.roomId), text);
      else pipeline.publish(this.names.room(e.roomId), text);
      if (isDeparture(e)) pipeline.publish(this.names.departures, text);
    }
    const results = await pipeline.exec();
    for (const [err] of results ?? []) if (err) throw err;
  }
}

export interface RedisRoomChannelsOptions {
  redisUrl: string;
  names: RoomChannelNames;
  sharded: boolean;
  /** CLIENT SETNAME of the subscriber connection (operations; tests find it by name). */
  connectionName: string;
  /** Extra pause before each reconnect (tests widen the window in which messages are lost). */
  reconnectDelayMs?: number;
  /** A subscribe confirmed later than this may have missed events the caller no longer waits for: reported as lost. */
  lateMs: number;
  onError(what: string, err: unknown): void;
}

/**
 * Room channels on a dedicated subscriber connection: SSUBSCRIBE (or
 * SUBSCRIBE) for the rooms watched here only. After a reconnect every
 * watched room is subscribed again and reported lost; a failed subscribe is
 * tried again while the room is still watched.
 */
export class RedisRoomChannels implements RoomChannels {
  private readonly sub: Redis;
  private readonly watched = new Map<string, Promise<void>>();
  private handlers: RoomChannelHandlers | undefined;
  private connectedOnce = false;
  private stopped = false;

  constructor(private readonly o: RedisRoomChannelsOptions) {
    const extra = o.reconnectDelayMs ?? 0;
    this.sub = new Redis(o.redisUrl, {
      lazyConnect: true,
      // Subscriptions are restored by `resubscribe` (which also reports the rooms lost), not by ioredis.
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      connectionName: o.connectionName,
      retryStrategy: (times) => Math.min(times * 50, 2000) + extra,
    });
    this.sub.on('error', (err) => o.onError('room channel connection', err));
  }

  async start(handlers: RoomChannelHandlers): Promise<void> {
    this.handlers = handlers;
    const onMessage = (channel: string, text: string) => {
      if (channel === this.o.names.departures) return this.parse(text, (e) => handlers.departure(e));
      if (this.o.names.roomIdOf(channel) !== undefined) this.parse(text, (e) => handlers.event(e));
    };
    this.sub.on('smessage', onMessage);
    this.sub.on('message', onMessage);
    this.sub.on('ready', () => {
      if (this.connectedOnce) this.resubscribe();
      this.connectedOnce = true;
    });
    await this.sub.connect();
    await this.sub.subscribe(this.o.names.departures);
  }

  private parse(text: string, then: (e: TimelineEvent) => void): void {
    let event: TimelineEvent;
    try {
      event = JSON.parse(text) as TimelineEvent;
    } catch (err) {
      return this.o.onError('room channel message', err);
    }
    then(event);
  }

  private command(subscribe: boolean, channel: string): Promise<unknown> {
    if (this.o.sharded) return subscribe ? this.sub.ssubscribe(channel) : this.sub.sunsubscribe(channel);
    return subscribe ? this.sub.subscribe(channel) : this.sub.unsubscribe(channel);
  }

  watch(roomId: string): void {
    if (this.watched.has(roomId)) return;
    this.watched.set(roomId, this.subscribe(roomId, false));
  }

  private subscribe(roomId: string, retry: boolean): Promise<void> {
    const started = Date.now();
    return this.command(true, this.o.names.room(roomId)).then(
      () => {
        if (retry || Date.now() - started > this.o.lateMs) this.handlers?.lost([roomId]);
      },
      (err: unknown) => {
        this.o.onError('room channel subscribe', err);
        const timer = setTimeout(() => {
          if (!this.stopped && this.watched.has(roomId)) this.watched.set(roomId, this.subscribe(roomId, true));
        }, 1000);
        timer.unref();
      },
    );
  }

  unwatch(roomId: string): void {
    if (!this.watched.delete(roomId)) return;
    this.command(false, this.o.names.room(roomId)).catch((err: unknown) => this.o.onError('room channel unsubscribe', err));
  }

  ready(roomId: string): Promise<void> {
    return this.watched.get(roomId) ?? Promise.resolve();
  }

  /** After a reconnect: every watched room subscribed again, then reported lost (caught up from the store). */
  private resubscribe(): void {
    const rooms = [...this.watched.keys()];
    const all = [this.sub.subscribe(this.o.names.departures), ...rooms.map((r) => this.command(true, this.o.names.room(r)))];
    Promise.all(all).then(
      () => this.handlers?.lost(rooms),
      (err: unknown) => {
        this.o.onError('room channel resubscribe', err);
        // Rooms whose subscribe failed: the connection is likely down again, and the next ready tries again.
        this.handlers?.lost(rooms);
      },
    );
  }

  /** Rooms watched here (tests, operations). */
  get rooms(): number {
    return this.watched.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sub.disconnect();
  }
}
