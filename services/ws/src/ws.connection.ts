import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Counter } from 'prom-client';
import type { RawData, WebSocket } from 'ws';
import type { AccessTokens } from '@chat/shared/auth/access-token';
import { AppError, ValidationError } from '@chat/shared/kernel/errors';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { isOutage, type Background } from './background';
import type { EndReason } from './membership';
import type { PendingSend } from './message-sender';
import type { ReplayScheduler } from './replay-scheduler';
import type { RoomSubscription } from './room-subscription';
import type { Subscriber } from './room-subscriptions';
import { corkUntilCheckPhase } from './socket-cork';
import { SocketDrain } from './socket-drain';
import { errorFrame, parseFrame, type ClientFrame } from './ws.frames';

const CLOSE_AUTH = 4401;
const CLOSE_SLOW = 1013;
/** Policy violation: the user already holds WS_MAX_SOCKETS_PER_USER sockets. */
const CLOSE_TOO_MANY = 1008;
/** A frame before ready failed for a reason of ours: the socket cannot be served. */
const CLOSE_INTERNAL = 1011;

/** What a socket needs of the service that holds it (the WsHub). */
export interface ConnectionHost {
  readonly config: { authTimeoutMs: number; maxBufferedBytes: number };
  readonly tokens: AccessTokens;
  readonly background: Background;
  readonly metrics: { framesIn: Counter; framesOut: Counter };
  admit(c: WsConnection): boolean;
  takeFrame(userId: string): Promise<void>;
  handle(c: WsConnection, frame: Exclude<ClientFrame, { type: 'auth' }>): Promise<void>;
  ended(c: WsConnection, sub: RoomSubscription, reason: EndReason): void;
  closed(c: WsConnection): void;
  eventFrame(event: TimelineEvent): string;
  replaySchedulerFor(c: WsConnection): ReplayScheduler;
}

/*
 * Socket listeners are shared by every connection (ws calls them with `this` =
 * the socket) instead of four closures per socket: idle sockets are what a chat
 * server holds most of, so per-socket bytes count (docs/performance.md). What
 * they do is synchronous and cannot throw past them (Background.run).
 */
const kConnection = Symbol('connection');
type OwnedSocket = WebSocket & { [kConnection]: WsConnection };
const owner = (socket: WebSocket): WsConnection => (socket as OwnedSocket)[kConnection];
function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  owner(this).onMessage(data, isBinary);
}
function onSocketPong(this: WebSocket): void {
  owner(this).alive = true;
}
function onSocketClose(this: WebSocket): void {
  const c = owner(this);
  c.host.background.run('socket close', () => c.onClose());
}
function ignoreSocketError(): void {}

/** One client socket: the auth handshake, its frames one after another, its sends. */
export class WsConnection implements Subscriber {
  /** Unique across instances (presence leases); a flat 16-char string, not a UUID's rope of 14 pieces. */
  readonly id = randomBytes(12).toString('base64url');
  userId: string | undefined;
  /** Sends waiting for the room writer, in the order the client sent them. */
  readonly pendingSends: PendingSend[] = [];
  sending = false;
  private authTimer: NodeJS.Timeout | undefined;
  /** When the access token runs out (ms); the hub's once-a-second sweep closes the socket then (one timer for all sockets). */
  expiresAt = Number.POSITIVE_INFINITY;
  alive = true;
  private chain: Promise<void> = Promise.resolve();
  /** This socket's replays and its drain waiter, made on the first replay (most sockets never replay). */
  private replays: ReplayScheduler | undefined;
  private drain: SocketDrain | undefined;

  constructor(readonly socket: WebSocket, readonly host: ConnectionHost) {
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('message', onSocketMessage);
    socket.on('pong', onSocketPong);
    socket.on('close', onSocketClose);
    socket.on('error', ignoreSocketError);
  }

  onMessage(data: RawData, isBinary: boolean): void {
    const text = isBinary ? null : data.toString();
    // Frames are handled one after another, so a subscribe finishes before the next frame.
    this.chain = this.chain.then(() => this.onText(text)).catch((err) => this.host.background.report('ws frame', err));
  }

  /** Header auth (`headerUser`) is ready at once; otherwise the first frame must authenticate in time. */
  start(headerUser: { userId: string; exp: number } | undefined): void {
    if (headerUser) return this.becomeReady(headerUser);
    this.authTimer = setTimeout(() => this.host.background.run('auth timeout', () => this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'no auth frame in time')), this.host.config.authTimeoutMs);
  }

  /** Called by the hub's ping sweep: a socket that missed the last ping is dropped. */
  heartbeat(): void {
    if (!this.alive) return void this.socket.terminate();
    this.alive = false;
    this.socket.ping();
  }

  send(frame: object): boolean {
    return this.sendText(JSON.stringify(frame));
  }

  /** Sends a serialized frame, closing with 1013 when the client is not reading. */
  sendText(text: string): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount > this.host.config.maxBufferedBytes) {
      this.closeSlow();
      return false;
    }
    corkUntilCheckPhase((this.socket as unknown as { _socket?: Socket })._socket);
    this.socket.send(text);
    this.host.metrics.framesOut.inc();
    return true;
  }

  private closeSlow(): void {
    this.socket.close(CLOSE_SLOW, 'slow reader: resume with sinceSeq');
    // The close frame waits behind what is buffered; a client that never reads is cut off after a minute.
    setTimeout(() => this.socket.terminate(), 60_000).unref();
  }

  private fail(code: number, errorCode: string, message: string): void {
    this.send({ type: 'error', code: errorCode, message });
    this.socket.close(code, message.slice(0, 100));
  }

  private async onText(text: string | null): Promise<void> {
    this.host.metrics.framesIn.inc();
    let frame: ClientFrame | undefined;
    let invalid: unknown;
    try {
      if (text === null) throw new ValidationError('frames must be JSON text', 'frame');
      frame = parseFrame(text);
    } catch (err) {
      invalid = err;
    }
    if (!this.userId) {
      if (!frame) return this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'the first frame must be {"type":"auth","token"}');
      if (frame.type !== 'auth') return this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'authenticate first');
      return this.onAuth(frame.token).catch((err) => {
        this.host.background.report('ws auth', err);
        this.fail(CLOSE_INTERNAL, 'INTERNAL', 'internal error: reconnect');
      });
    }
    try {
      // Every frame of an authenticated socket counts against its user's frame bucket: ping, auth and malformed ones too.
      await this.host.takeFrame(this.userId);
      if (!frame) throw invalid;
      if (frame.type === 'auth') return await this.onAuth(frame.token);
      await this.host.handle(this, frame);
    } catch (err) {
      if (!(err instanceof AppError) && !isOutage(err)) this.host.background.report('ws frame', err);
      this.send(errorFrame(err, frame, isOutage(err)));
    }
  }

  private async onAuth(token: string): Promise<void> {
    let claims: { userId: string; exp: number };
    try {
      claims = await this.host.tokens.verify(token);
    } catch {
      return this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'invalid token');
    }
    if (this.userId && claims.userId !== this.userId) return this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'token is for another user');
    if (this.userId) return this.armExpiry(claims.exp);
    this.becomeReady(claims);
  }

  /** Synchronous: `ready` depends on no dependency (presence is announced in the background, best effort). */
  private becomeReady(claims: { userId: string; exp: number }): void {
    clearTimeout(this.authTimer);
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.userId = claims.userId;
    if (!this.host.admit(this)) {
      this.userId = undefined;
      return this.fail(CLOSE_TOO_MANY, 'RATE_LIMITED', 'too many sockets open for this user: close one first');
    }
    this.armExpiry(claims.exp);
    this.send({ type: 'ready', userId: claims.userId });
  }

  private armExpiry(exp: number): void {
    this.expiresAt = exp * 1000;
  }

  /** Called by the hub's sweep once the access token has run out. */
  expire(): void {
    this.expiresAt = Number.POSITIVE_INFINITY;
    this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'access token expired');
  }

  /** ReplayQueue: a subscription wants replay pages; this socket's scheduler reads them in turn. */
  request(sub: RoomSubscription): void {
    (this.replays ??= this.host.replaySchedulerFor(this)).request(sub);
  }

  /** SubscriptionSink: one event frame, serialized once per event by the hub. */
  sendEvent(event: TimelineEvent): boolean {
    return this.sendText(this.host.eventFrame(event));
  }

  /** SubscriptionSink: resolves once the send buffer is below a quarter of the cap, or false when the socket closes. */
  drained(): Promise<boolean> {
    return (this.drain ??= new SocketDrain(this.socket)).below(this.host.config.maxBufferedBytes / 4);
  }

  /** SubscriptionSink: the subscription ended at the user's removal or the room's deletion. */
  ended(sub: RoomSubscription, reason: EndReason): void {
    this.host.ended(this, sub, reason);
  }

  onClose(): void {
    clearTimeout(this.authTimer);
    this.drain?.wake();
    this.host.closed(this);
  }
}
