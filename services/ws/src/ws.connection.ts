import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { AppError, isDependencyUnavailable, UnavailableError, ValidationError } from '@chat/shared/kernel/errors';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { parseFrame, type ClientFrame } from './ws.frames';
import type { ReplayScheduler } from './replay-scheduler';
import { RoomSubscription, type ReplayQueue, type SubscriptionSink } from './room-subscription';
import type { WsHub } from './ws.hub';

const CLOSE_AUTH = 4401;
const CLOSE_SLOW = 1013;
/** Policy violation: the user already holds WS_MAX_SOCKETS_PER_USER sockets. */
const CLOSE_TOO_MANY = 1008;

/** The TCP socket under a `ws` socket: `ws` keeps it as `_socket` and has no public 'drain' of its own. */
const tcpOf = (socket: WebSocket): Socket | undefined => (socket as unknown as { _socket?: Socket })._socket;

/*
 * Socket listeners are shared by every connection (ws calls them with `this` =
 * the socket) instead of four closures per socket: idle sockets are what a chat
 * server holds most of, so per-socket bytes count (docs/performance.md).
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
  owner(this).onClose();
}
function ignoreSocketError(): void {}

/** One client socket: the auth handshake, its subscriptions and its frames. */
export class WsConnection implements SubscriptionSink, ReplayQueue {
  /** Unique across instances (presence leases); a flat 16-char string, not a UUID's rope of 14 pieces. */
  readonly id = randomBytes(12).toString('base64url');
  userId: string | undefined;
  readonly subscriptions = new Map<string, RoomSubscription>();
  /** Sends waiting for the room writer, in the order the client sent them. */
  readonly pendingSends: { roomId: string; clientMsgId: string; body: string; ack: () => void }[] = [];
  sending = false;
  private authTimer: NodeJS.Timeout | undefined;
  /** When the access token runs out (ms); the hub's once-a-second sweep closes the socket then (one timer for all sockets). */
  expiresAt = Number.POSITIVE_INFINITY;
  alive = true;
  private chain: Promise<void> = Promise.resolve();
  /** This socket's replays, made on the first one (most sockets never replay). */
  private replays: ReplayScheduler | undefined;
  /** The replays waiting for the send buffer to drain (only while some wait: idle sockets carry no array). */
  private drainWaiters: Array<() => void> | undefined;
  private wakeDrained: (() => void) | undefined;

  constructor(readonly socket: WebSocket, private readonly hub: WsHub) {
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('message', onSocketMessage);
    socket.on('pong', onSocketPong);
    socket.on('close', onSocketClose);
    socket.on('error', ignoreSocketError);
  }

  onMessage(data: RawData, isBinary: boolean): void {
    const text = isBinary ? null : data.toString();
    // Frames are handled one after another, so a subscribe finishes before the next frame.
    this.chain = this.chain.then(() => this.onText(text)).catch((err) => this.hub.log.error({ err }, 'ws frame failed'));
  }

  start(headerUser: { userId: string; exp: number } | undefined): void {
    if (headerUser) return void this.becomeReady(headerUser);
    this.authTimer = setTimeout(() => this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'no auth frame in time'), this.hub.config.authTimeoutMs);
  }

  /** Called by the hub's ping timer: a socket that missed the last ping is dropped. */
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
    if (this.socket.bufferedAmount > this.hub.config.maxBufferedBytes) {
      this.closeSlow();
      return false;
    }
    this.socket.send(text);
    this.hub.metrics.framesOut.inc();
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
    this.hub.metrics.framesIn.inc();
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
      return this.onAuth(frame.token);
    }
    try {
      // Every frame of an authenticated socket counts against its user's frame bucket: ping, auth and malformed ones too.
      await this.hub.takeFrame(this.userId);
      if (!frame) throw invalid;
      if (frame.type === 'auth') return await this.onAuth(frame.token);
      await this.hub.handle(this, frame);
    } catch (err) {
      const e = err instanceof AppError ? err : isDependencyUnavailable(err) ? new UnavailableError('a dependency is unavailable, retry shortly') : undefined;
      if (!e) this.hub.log.error({ err }, 'ws frame error');
      const roomId = frame && 'roomId' in frame ? frame.roomId : undefined;
      const clientMsgId = frame?.type === 'send' && typeof frame.clientMsgId === 'string' ? frame.clientMsgId : undefined;
      this.send({ type: 'error', code: e?.code ?? 'INTERNAL', message: e?.message ?? 'internal error', ...(roomId ? { roomId } : {}), ...(clientMsgId ? { clientMsgId } : {}) });
    }
  }

  private async onAuth(token: string): Promise<void> {
    let claims: { userId: string; exp: number };
    try {
      claims = await this.hub.tokens.verify(token);
    } catch {
      return this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'invalid token');
    }
    if (this.userId && claims.userId !== this.userId) return this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'token is for another user');
    if (this.userId) return this.armExpiry(claims.exp);
    await this.becomeReady(claims);
  }

  private async becomeReady(claims: { userId: string; exp: number }): Promise<void> {
    clearTimeout(this.authTimer);
    this.userId = claims.userId;
    if (!this.hub.admit(this)) {
      this.userId = undefined;
      return this.fail(CLOSE_TOO_MANY, 'RATE_LIMITED', 'too many sockets open for this user: close one first');
    }
    this.armExpiry(claims.exp);
    this.send({ type: 'ready', userId: claims.userId });
    await this.hub.announce(this);
  }

  private armExpiry(exp: number): void {
    this.expiresAt = exp * 1000;
  }

  /** Called by the hub's sweep once the access token has run out. */
  expire(): void {
    this.expiresAt = Number.POSITIVE_INFINITY;
    this.fail(CLOSE_AUTH, 'UNAUTHENTICATED', 'access token expired');
  }

  /** A new subscription to the room (replacing any other), pending until `start`. */
  subscribe(roomId: string): RoomSubscription {
    this.subscriptions.get(roomId)?.close();
    const sub = RoomSubscription.pending(roomId, this, this);
    this.subscriptions.set(roomId, sub);
    return sub;
  }

  /** ReplayQueue: a subscription wants replay pages; this socket's scheduler reads them in turn. */
  request(sub: RoomSubscription): void {
    (this.replays ??= this.hub.replaySchedulerFor(this)).request(sub);
  }

  /** SubscriptionSink: one event frame, serialized once per event by the hub. */
  sendEvent(event: TimelineEvent): boolean {
    return this.sendText(this.hub.eventFrame(event));
  }

  /**
   * SubscriptionSink: resolves once the socket's send buffer is below a
   * quarter of the cap: at once if it is, else on the TCP socket's 'drain'
   * (all of it handed to the kernel), or false when the socket closes.
   */
  async drained(): Promise<boolean> {
    const low = this.hub.config.maxBufferedBytes / 4;
    while (this.socket.readyState === this.socket.OPEN && this.socket.bufferedAmount > low) await new Promise<void>((r) => this.waitForDrain(r));
    return this.socket.readyState === this.socket.OPEN;
  }

  private waitForDrain(resolve: () => void): void {
    if (this.drainWaiters) return void this.drainWaiters.push(resolve);
    this.drainWaiters = [resolve];
    const tcp = tcpOf(this.socket);
    let timer: NodeJS.Timeout | undefined;
    const wake = () => {
      tcp?.off('drain', wake);
      clearTimeout(timer);
      const waiters = this.drainWaiters ?? [];
      this.drainWaiters = undefined;
      this.wakeDrained = undefined;
      for (const w of waiters) w();
    };
    this.wakeDrained = wake;
    // 'drain' is due only after a write found the buffer over its high-water mark; with a tiny
    // WS_MAX_BUFFERED_BYTES the buffer may be over our mark without that: look again shortly.
    if (tcp?.writableNeedDrain) tcp.once('drain', wake);
    else timer = setTimeout(wake, 20);
  }

  onClose(): void {
    clearTimeout(this.authTimer);
    this.wakeDrained?.();
    for (const sub of this.subscriptions.values()) sub.close();
    this.subscriptions.clear();
    void this.hub.detach(this);
  }
}
