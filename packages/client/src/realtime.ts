import { backoffDelay, type BackoffOptions } from './backoff';
import { ChatApiError, NON_RETRYABLE_CODES } from './errors';
import { EventQueue } from './event-queue';
import { newClientMsgId } from './ids';
import { SeqTracker } from './seq-tracker';
import type { TokenProvider } from './session';

/** The part of the WebSocket API this client uses (the browser's, or the `ws` package's). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A room timeline entry, as API.md describes it. */
export interface TimelineEvent {
  seq: number;
  type: string;
  roomId: string;
  actorId: string;
  occurredAt: string;
  [payload: string]: unknown;
}

/** One delivered timeline event of a subscribed room. */
export interface RoomEvent {
  roomId: string;
  seq: number;
  event: TimelineEvent;
}

export interface Ack {
  roomId: string;
  clientMsgId: string;
  messageId: string;
  seq: number;
}

export interface Notification {
  id: string;
  kind: string;
  roomId: string;
  messageId: string;
  seq: number;
  actorId: string;
  createdAt: string;
}

/**
 * What the realtime client needs to post a message over HTTP while the socket
 * is down: `ChatHttpClient` is one (its `postMessage` keeps the clientMsgId).
 */
export interface SendFallback {
  postMessage(roomId: string, body: string, clientMsgId: string): Promise<{ id: string; seq: number }>;
}

export type ConnectionState = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'reconnecting' | 'closed';

export interface RealtimeEvents {
  /** Every delivered timeline event, all rooms. */
  event: RoomEvent;
  typing: { roomId: string; userId: string };
  presence: { userId: string; status: 'online' | 'offline' };
  notification: Notification;
  /** The server ended a subscription (room deleted, user removed), or a resubscribe found the room gone. */
  unsubscribed: { roomId: string; reason: string };
  state: ConnectionState;
  ready: { userId: string };
  /** A socket closed; `willReconnect` false once the client gave up or was closed. */
  disconnect: { code: number; reason: string; willReconnect: boolean };
  /** Errors not tied to a call's promise: error frames, refresh failures, the fatal error that closes the client. */
  error: ChatApiError;
}

export interface RealtimeOptions {
  /** `ws://host/v1/ws` / `wss://…`; or an http(s) origin, to which `/v1/ws` is added. */
  url: string;
  /** Where access tokens come from (a `Session`, or your own). */
  tokens: TokenProvider;
  /** The WebSocket constructor; defaults to the global one (browsers, Node ≥ 22). Node 20: pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect delays. */
  backoff?: Partial<BackoffOptions>;
  /** Consecutive failed connection attempts (no `ready`) before giving up. Default Infinity (keep trying, with capped backoff). */
  maxReconnectAttempts?: number;
  /** Consecutive 4401 (after a successful refresh) or 1008 closes before giving up. Default 3. */
  maxAuthFailures?: number;
  /** A socket ready this long resets the 4401/1008 count. Default 30 000. */
  stableMs?: number;
  /** How long from opening a socket to `ready` before trying another. Default 15 000. */
  connectTimeoutMs?: number;
  /** Default for send(): how long to keep retrying before rejecting with TIMEOUT. Default 30 000. */
  sendTimeoutMs?: number;
  /** Application-level ping (`{"type":"ping"}`) interval, to notice dead sockets; 0 turns it off. Default 25 000. */
  pingIntervalMs?: number;
  /**
   * Posts pending sends over HTTP (same clientMsgId) while the socket is not
   * ready, retried with backoff; whichever path is acknowledged first settles
   * the send, and the server stores the message once. Pass the ChatHttpClient.
   */
  httpFallback?: SendFallback;
  /**
   * Follows the browser's network: drops the socket at once on the window's
   * `offline` event (and does not try again while offline), reconnects at once on
   * `online`. Default false; without a window it does nothing. See also networkDown()/networkUp().
   */
  watchBrowserNetwork?: boolean;
  /** Default buffer of events() iterators. Default 1000. */
  eventBufferSize?: number;
  random?: () => number;
}

interface PendingSend {
  roomId: string;
  clientMsgId: string;
  body: string;
  promise: Promise<Ack>;
  resolve: (a: Ack) => void;
  reject: (e: unknown) => void;
  timeout: ReturnType<typeof setTimeout> | undefined;
  retry: ReturnType<typeof setTimeout> | undefined;
  errors: number;
  /** An HTTP fallback post is on its way. */
  httpInFlight: boolean;
  httpRetry: ReturnType<typeof setTimeout> | undefined;
  httpErrors: number;
  /** Times the frame went out (a test hook: reconnects resend). */
  transmissions: number;
}

interface RoomSub {
  roomId: string;
  confirmed: Promise<{ roomId: string; lastSeq: number }>;
  resolve: (v: { roomId: string; lastSeq: number }) => void;
  reject: (e: unknown) => void;
  settled: boolean;
  /** A subscribe frame was sent on the current socket and not answered yet. */
  awaiting: boolean;
}

type Listener<K extends keyof RealtimeEvents> = (v: RealtimeEvents[K]) => void;

const CLOSE_AUTH = 4401;
const CLOSE_TOO_MANY = 1008;

/**
 * A realtime connection to `/v1/ws` that survives disconnects: it reconnects
 * with backoff, re-authenticates, resubscribes every room from the last seq it
 * delivered, never delivers a seq twice or out of order, refreshes the access
 * token before it expires, and retries sends with the same clientMsgId until
 * they are acknowledged.
 */
export class RealtimeClient {
  private readonly url: string;
  private readonly Ctor: WebSocketConstructor;
  private readonly o: Required<Omit<RealtimeOptions, 'url' | 'tokens' | 'WebSocket' | 'backoff' | 'httpFallback'>> & { backoff: Partial<BackoffOptions>; httpFallback: SendFallback | undefined };
  private readonly tokens: TokenProvider;
  private ws: WebSocketLike | undefined;
  /** Incremented per socket: callbacks of an abandoned socket are ignored. */
  private generation = 0;
  private _state: ConnectionState = 'idle';
  private attempts = 0;
  private authFailures = 0;
  private needRefresh = false;
  private readonly seqs = new SeqTracker();
  private readonly rooms = new Map<string, RoomSub>();
  private readonly sends = new Map<string, PendingSend>();
  private readonly queues = new Set<{ roomId: string | undefined; q: EventQueue<RoomEvent> }>();
  private readonly roomListeners = new Map<string, Set<(e: RoomEvent) => void>>();
  private readonly listeners = new Map<keyof RealtimeEvents, Set<(v: any) => void>>();
  private readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private timers: { reconnect?: ReturnType<typeof setTimeout>; handshake?: ReturnType<typeof setTimeout>; reauth?: ReturnType<typeof setTimeout>; stable?: ReturnType<typeof setTimeout>; ping?: ReturnType<typeof setInterval> } = {};
  private awaitingPong = false;
  private _userId: string | undefined;
  private fatalError: ChatApiError | undefined;
  /** networkDown() was called (or the browser said offline): no reconnect attempts until networkUp(). */
  private offline = false;
  private unwatchNetwork: (() => void) | undefined;

  constructor(options: RealtimeOptions) {
    this.url = wsUrl(options.url);
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error('no global WebSocket here: pass the WebSocket option (e.g. the ws package)');
    this.Ctor = Ctor;
    this.tokens = options.tokens;
    this.o = {
      backoff: options.backoff ?? {},
      maxReconnectAttempts: options.maxReconnectAttempts ?? Number.POSITIVE_INFINITY,
      maxAuthFailures: options.maxAuthFailures ?? 3,
      stableMs: options.stableMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      sendTimeoutMs: options.sendTimeoutMs ?? 30_000,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      eventBufferSize: options.eventBufferSize ?? 1000,
      random: options.random ?? Math.random,
      httpFallback: options.httpFallback,
      watchBrowserNetwork: options.watchBrowserNetwork ?? false,
    };
    if (this.o.watchBrowserNetwork) this.watchNetwork();
  }

  /** Wires the window's online/offline events (browsers only; a no-op elsewhere). */
  private watchNetwork(): void {
    const g = globalThis as { addEventListener?: (t: string, f: () => void) => void; removeEventListener?: (t: string, f: () => void) => void; navigator?: { onLine?: boolean } };
    if (typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function') return;
    const down = () => this.networkDown();
    const up = () => this.networkUp();
    g.addEventListener('offline', down);
    g.addEventListener('online', up);
    this.unwatchNetwork = () => {
      g.removeEventListener?.('offline', down);
      g.removeEventListener?.('online', up);
    };
    if (g.navigator?.onLine === false) this.offline = true;
  }

  /** True between networkDown() (or the browser's `offline`) and networkUp(). */
  get networkOffline(): boolean {
    return this.offline;
  }

  /**
   * The network is gone (the browser's `offline` event): drops the socket now
   * instead of waiting for a ping to time out, sends go over the HTTP fallback,
   * and no reconnect is tried until networkUp().
   */
  networkDown(): void {
    if (this.offline) return;
    this.offline = true;
    if (this._state === 'closed' || this._state === 'idle') return;
    clearTimeout(this.timers.reconnect);
    this.abandon();
    this.onSocketClosed(4004, 'network down');
  }

  /** The network is back: reconnects at once, with the backoff reset. */
  networkUp(): void {
    const was = this.offline;
    this.offline = false;
    if (this._state !== 'reconnecting') return;
    if (!was && this.ws) return; // already opening a socket
    this.attempts = 0;
    clearTimeout(this.timers.reconnect);
    this.abandon();
    void this.open();
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** The user of the last `ready`. */
  get userId(): string | undefined {
    return this._userId;
  }

  /** The last seq delivered for a room (what a resubscribe asks from). */
  lastSeq(roomId: string): number | undefined {
    return this.seqs.lastSeq(roomId);
  }

  /** Starts connecting (once); resolves at the next `ready`, rejects if the client gives up or is closed first. */
  connect(): Promise<void> {
    if (this._state === 'closed') return Promise.reject(this.fatalError ?? new ChatApiError(0, 'CLOSED', 'client closed'));
    if (this._state === 'ready') return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (this._state === 'idle') void this.open();
    return p;
  }

  /** Listens to client-wide events; returns the remover. */
  on<K extends keyof RealtimeEvents>(name: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  /** Listens to one room's timeline events; returns the remover. */
  onRoom(roomId: string, fn: (e: RoomEvent) => void): () => void {
    let set = this.roomListeners.get(roomId);
    if (!set) this.roomListeners.set(roomId, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  /**
   * Timeline events (of one room, or all) as an async iterator over a bounded
   * buffer; a consumer `bufferSize` events behind gets a BUFFER_OVERFLOW error.
   * Create it before subscribe() so nothing passes by unseen. Ends when the room
   * is unsubscribed or the client closes; `break` ends it too.
   */
  events(roomId?: string, options: { bufferSize?: number } = {}): AsyncIterableIterator<RoomEvent> {
    const entry = { roomId, q: undefined as unknown as EventQueue<RoomEvent> };
    entry.q = new EventQueue<RoomEvent>(options.bufferSize ?? this.o.eventBufferSize, () => this.queues.delete(entry));
    if (this._state === 'closed') this.fatalError ? entry.q.fail(this.fatalError) : entry.q.end();
    else this.queues.add(entry);
    return entry.q;
  }

  /**
   * Subscribes to a room (kept across reconnects). `sinceSeq` replays the
   * events after it first; without it, events start after the room's current lastSeq.
   * Resolves with the `subscribed` answer; rejects with NOT_FOUND for a room the user cannot see.
   */
  subscribe(roomId: string, options: { sinceSeq?: number } = {}): Promise<{ roomId: string; lastSeq: number }> {
    if (this._state === 'closed') return Promise.reject(this.fatalError ?? new ChatApiError(0, 'CLOSED', 'client closed'));
    if (options.sinceSeq !== undefined) this.seqs.start(roomId, options.sinceSeq);
    const existing = this.rooms.get(roomId);
    if (existing) return existing.confirmed;
    let resolve!: RoomSub['resolve'];
    let reject!: RoomSub['reject'];
    const confirmed = new Promise<{ roomId: string; lastSeq: number }>((res, rej) => ((resolve = res), (reject = rej)));
    const sub: RoomSub = { roomId, confirmed, resolve, reject, settled: false, awaiting: false };
    this.rooms.set(roomId, sub);
    if (this._state === 'ready') this.sendSubscribe(sub);
    return confirmed;
  }

  /** Stops a room's events; its iterators end. */
  unsubscribe(roomId: string): void {
    const sub = this.rooms.get(roomId);
    if (!sub) return;
    this.dropRoom(sub, new ChatApiError(0, 'CLOSED', 'unsubscribed'));
    if (this._state === 'ready') this.transmit({ type: 'unsubscribe', roomId });
  }

  /**
   * Posts a message; resolves with the ack once stored. Retries with the same
   * clientMsgId across reconnects and after UNAVAILABLE/RATE_LIMITED errors, so
   * the message is stored once; rejects on VALIDATION_FAILED, NOT_FOUND,
   * FORBIDDEN (…), or with TIMEOUT after `timeoutMs` (the message may still have been stored: send again with the same clientMsgId to find out).
   */
  send(roomId: string, body: string, options: { clientMsgId?: string; timeoutMs?: number } = {}): Promise<Ack> {
    if (this._state === 'closed') return Promise.reject(this.fatalError ?? new ChatApiError(0, 'CLOSED', 'client closed'));
    const clientMsgId = options.clientMsgId ?? newClientMsgId();
    const existing = this.sends.get(clientMsgId);
    if (existing) return existing.promise;
    let resolve!: PendingSend['resolve'];
    let reject!: PendingSend['reject'];
    const promise = new Promise<Ack>((res, rej) => ((resolve = res), (reject = rej)));
    const p: PendingSend = { roomId, clientMsgId, body, promise, resolve, reject, timeout: undefined, retry: undefined, errors: 0, transmissions: 0, httpInFlight: false, httpRetry: undefined, httpErrors: 0 };
    const timeoutMs = options.timeoutMs ?? this.o.sendTimeoutMs;
    // Infinity: keep trying until acknowledged or rejected for good.
    if (Number.isFinite(timeoutMs)) p.timeout = setTimeout(() => this.settleSend(p, new ChatApiError(0, 'TIMEOUT', `no ack for ${clientMsgId} within ${timeoutMs} ms`)), timeoutMs);
    this.sends.set(clientMsgId, p);
    if (this._state === 'ready') this.transmitSend(p);
    else if (this._state === 'reconnecting' || this._state === 'idle') this.sendOverHttp(p);
    return promise;
  }

  /** How many times a pending send's frame went out (0 once settled). */
  transmissions(clientMsgId: string): number {
    return this.sends.get(clientMsgId)?.transmissions ?? 0;
  }

  /** Tells the room's other subscribers this user is typing; false (nothing sent) while not connected. */
  typing(roomId: string): boolean {
    return this._state === 'ready' && this.transmit({ type: 'typing', roomId });
  }

  /** Closes for good: pending sends and subscribes reject with CLOSED, iterators end. */
  close(): void {
    this.shutdown(undefined);
  }

  // ---- connection lifecycle ----

  private setState(s: ConnectionState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    if (this.offline) {
      if (this._state === 'idle') this.setState('connecting');
      return this.scheduleReconnect();
    }
    if (this._state === 'idle') this.setState('connecting');
    let token: string;
    try {
      if (this.needRefresh && this.tokens.refresh) token = await this.tokens.refresh();
      else token = await this.tokens.getAccessToken();
      this.needRefresh = false;
    } catch (err) {
      if (gen !== this.generation || this._state === 'closed') return;
      const e = asChatError(err);
      if (e.status === 401) return this.shutdown(new ChatApiError(401, 'AUTH_FAILED', `session is over: ${e.message}`));
      this.emit('error', e);
      return this.scheduleReconnect();
    }
    if (gen !== this.generation || this._state === 'closed') return;
    let ws: WebSocketLike;
    try {
      ws = new this.Ctor(this.url);
    } catch (err) {
      this.emit('error', asChatError(err));
      return this.scheduleReconnect();
    }
    this.ws = ws;
    ws.onopen = () => {
      if (gen !== this.generation) return;
      this.setState('authenticating');
      this.transmit({ type: 'auth', token });
    };
    ws.onmessage = (ev: { data: unknown }) => {
      if (gen !== this.generation) return;
      this.awaitingPong = false;
      let frame: Record<string, any>;
      try {
        frame = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
      } catch {
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (ev: { code?: number; reason?: string }) => {
      if (gen !== this.generation) return;
      this.onSocketClosed(ev.code ?? 1006, String(ev.reason ?? ''));
    };
    ws.onerror = () => undefined; // a close follows
    this.timers.handshake = setTimeout(() => {
      if (gen !== this.generation) return;
      this.abandon();
      this.onSocketClosed(4000, 'no ready in time');
    }, this.o.connectTimeoutMs);
  }

  /** Drops the current socket without waiting for its close handshake. */
  private abandon(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.generation++;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      const t = (ws as { terminate?: () => void }).terminate;
      if (typeof t === 'function') t.call(ws);
      else ws.close(1000);
    } catch {
      // already closing
    }
  }

  private clearSocketTimers(): void {
    clearTimeout(this.timers.handshake);
    clearTimeout(this.timers.reauth);
    clearTimeout(this.timers.stable);
    clearInterval(this.timers.ping);
    this.timers.handshake = this.timers.reauth = this.timers.stable = this.timers.ping = undefined;
  }

  private onSocketClosed(code: number, reason: string): void {
    this.clearSocketTimers();
    this.ws = undefined;
    this.generation++;
    for (const sub of this.rooms.values()) sub.awaiting = false;
    for (const p of this.sends.values()) clearTimeout(p.retry);
    if (this._state === 'closed') return;
    let fatal: ChatApiError | undefined;
    if (code === CLOSE_TOO_MANY || code === CLOSE_AUTH) {
      this.authFailures++;
      if (this.authFailures >= this.o.maxAuthFailures) {
        fatal = code === CLOSE_AUTH
          ? new ChatApiError(401, 'AUTH_FAILED', `the server refused the token ${this.authFailures} times in a row (4401): ${reason}`)
          : new ChatApiError(0, 'TOO_MANY_SOCKETS', `the server refused the socket ${this.authFailures} times in a row (1008): ${reason}`);
      }
      if (code === CLOSE_AUTH) this.needRefresh = true;
    }
    this.emit('disconnect', { code, reason, willReconnect: !fatal });
    if (fatal) return this.shutdown(fatal);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this._state === 'closed') return;
    this.attempts++;
    if (this.attempts > this.o.maxReconnectAttempts) {
      return this.shutdown(new ChatApiError(0, 'NETWORK', `gave up after ${this.attempts - 1} failed connection attempts`));
    }
    this.setState('reconnecting');
    for (const p of this.sends.values()) this.sendOverHttp(p);
    clearTimeout(this.timers.reconnect);
    if (this.offline) {
      this.attempts = 0; // offline is not a failed attempt: networkUp() reconnects at once
      return;
    }
    const delay = backoffDelay(this.attempts - 1, this.o.backoff, this.o.random);
    this.timers.reconnect = setTimeout(() => void this.open(), delay);
  }

  private onReady(userId: string): void {
    clearTimeout(this.timers.handshake);
    this._userId = userId;
    this.attempts = 0;
    this.setState('ready');
    const gen = this.generation;
    this.timers.stable = setTimeout(() => {
      if (gen === this.generation) this.authFailures = 0;
    }, this.o.stableMs);
    for (const sub of this.rooms.values()) this.sendSubscribe(sub);
    for (const p of this.sends.values()) this.transmitSend(p);
    this.scheduleReauth();
    if (this.o.pingIntervalMs > 0) {
      this.awaitingPong = false;
      this.timers.ping = setInterval(() => {
        if (gen !== this.generation) return;
        if (this.awaitingPong) {
          this.abandon();
          return this.onSocketClosed(4002, 'no pong in time');
        }
        this.awaitingPong = true;
        this.transmit({ type: 'ping' });
      }, this.o.pingIntervalMs);
    }
    this.emit('ready', { userId });
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
  }

  /** Sends a fresh auth frame on the open socket before the access token runs out (the server closes with 4401 at expiry otherwise). */
  private scheduleReauth(failures = 0): void {
    clearTimeout(this.timers.reauth);
    const due = this.tokens.refreshDueAt?.();
    if (due === undefined) return;
    const gen = this.generation;
    const delay = failures > 0 ? backoffDelay(failures - 1, { initialMs: 500, maxMs: 10_000 }, this.o.random) : Math.min(2 ** 31 - 1, Math.max(1000, due - Date.now()));
    this.timers.reauth = setTimeout(async () => {
      let token: string;
      try {
        token = await this.tokens.getAccessToken();
      } catch (err) {
        if (gen !== this.generation || this._state === 'closed') return;
        const e = asChatError(err);
        if (e.status === 401) return this.shutdown(new ChatApiError(401, 'AUTH_FAILED', `session is over: ${e.message}`));
        this.emit('error', e);
        return this.scheduleReauth(failures + 1);
      }
      if (gen !== this.generation || this._state !== 'ready') return;
      this.transmit({ type: 'auth', token });
      this.scheduleReauth();
    }, delay);
  }

  private shutdown(err: ChatApiError | undefined): void {
    if (this._state === 'closed') return;
    this.fatalError = err;
    this.unwatchNetwork?.();
    clearTimeout(this.timers.reconnect);
    this.clearSocketTimers();
    const ws = this.ws;
    this.ws = undefined;
    this.generation++;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(1000, 'client closed');
      } catch {
        // already closed
      }
    }
    this.setState('closed');
    const reason = err ?? new ChatApiError(0, 'CLOSED', 'client closed');
    for (const p of [...this.sends.values()]) this.settleSend(p, reason);
    for (const sub of [...this.rooms.values()]) this.dropRoom(sub, reason, err);
    for (const { q } of [...this.queues]) (err ? q.fail(err) : q.end());
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(reason);
    if (err) this.emit('error', err);
  }

  // ---- frames ----

  private transmit(frame: object): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private sendSubscribe(sub: RoomSub): void {
    const sinceSeq = this.seqs.lastSeq(sub.roomId);
    sub.awaiting = this.transmit({ type: 'subscribe', roomId: sub.roomId, ...(sinceSeq !== undefined ? { sinceSeq } : {}) });
  }

  private transmitSend(p: PendingSend): void {
    clearTimeout(p.retry);
    p.retry = undefined;
    if (this.transmit({ type: 'send', roomId: p.roomId, clientMsgId: p.clientMsgId, body: p.body })) p.transmissions++;
  }

  /**
   * Posts a pending send over HTTP with its clientMsgId while the socket is not
   * ready (one post at a time per send); a failure that may pass on a retry
   * (network, 5xx, 401, 408, 429) is retried with backoff while the socket stays down.
   */
  private sendOverHttp(p: PendingSend): void {
    const http = this.o.httpFallback;
    if (!http || p.httpInFlight || this._state === 'ready' || this._state === 'closed' || this.sends.get(p.clientMsgId) !== p) return;
    clearTimeout(p.httpRetry);
    p.httpRetry = undefined;
    p.httpInFlight = true;
    let posted: Promise<{ id: string; seq: number }>;
    try {
      posted = http.postMessage(p.roomId, p.body, p.clientMsgId);
    } catch (err) {
      posted = Promise.reject(err);
    }
    posted.then(
      (m) => {
        p.httpInFlight = false;
        this.settleSend(p, { roomId: p.roomId, clientMsgId: p.clientMsgId, messageId: m.id, seq: m.seq });
      },
      (err: unknown) => {
        p.httpInFlight = false;
        if (this.sends.get(p.clientMsgId) !== p) return;
        const e = asChatError(err);
        if (e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429) return this.settleSend(p, e);
        const delay = Math.max((e.retryAfter ?? 0) * 1000, backoffDelay(p.httpErrors++, { ...this.o.backoff, initialMs: Math.max(this.o.backoff.initialMs ?? 250, 250), maxMs: Math.min(this.o.backoff.maxMs ?? 5000, 5000) }, this.o.random));
        p.httpRetry = setTimeout(() => this.sendOverHttp(p), delay);
      },
    );
  }

  private settleSend(p: PendingSend, result: Ack | ChatApiError): void {
    if (this.sends.get(p.clientMsgId) !== p) return;
    this.sends.delete(p.clientMsgId);
    clearTimeout(p.timeout);
    clearTimeout(p.retry);
    clearTimeout(p.httpRetry);
    if (result instanceof ChatApiError) p.reject(result);
    else p.resolve(result);
  }

  private dropRoom(sub: RoomSub, reason: ChatApiError, iteratorError?: ChatApiError): void {
    if (this.rooms.get(sub.roomId) !== sub) return;
    this.rooms.delete(sub.roomId);
    this.seqs.forget(sub.roomId);
    if (!sub.settled) {
      sub.settled = true;
      sub.confirmed.catch(() => undefined);
      sub.reject(reason);
    }
    for (const entry of [...this.queues]) {
      if (entry.roomId === sub.roomId) (iteratorError ? entry.q.fail(iteratorError) : entry.q.end());
    }
  }

  private onFrame(f: Record<string, any>): void {
    switch (f.type) {
      case 'ready':
        return this.onReady(String(f.userId));
      case 'event':
        return this.onEvent(f as RoomEvent);
      case 'subscribed': {
        const sub = this.rooms.get(f.roomId);
        if (!sub) return;
        sub.awaiting = false;
        this.seqs.start(sub.roomId, Number(f.lastSeq));
        if (!sub.settled) {
          sub.settled = true;
          sub.resolve({ roomId: sub.roomId, lastSeq: Number(f.lastSeq) });
        }
        return;
      }
      case 'unsubscribed': {
        const sub = this.rooms.get(f.roomId);
        if (!sub || !f.reason) return; // the answer to our own unsubscribe
        this.dropRoom(sub, new ChatApiError(404, 'NOT_FOUND', `unsubscribed: ${f.reason}`));
        return this.emit('unsubscribed', { roomId: f.roomId, reason: String(f.reason) });
      }
      case 'ack': {
        const p = this.sends.get(f.clientMsgId);
        if (p) this.settleSend(p, { roomId: f.roomId, clientMsgId: f.clientMsgId, messageId: f.messageId, seq: f.seq });
        return;
      }
      case 'error':
        return this.onErrorFrame(f);
      case 'typing':
        return this.emit('typing', { roomId: f.roomId, userId: f.userId });
      case 'presence':
        return this.emit('presence', { userId: f.userId, status: f.status });
      case 'notification':
        return this.emit('notification', f.notification as Notification);
      default:
        return; // pong, and frame types added later
    }
  }

  private onErrorFrame(f: Record<string, any>): void {
    const code = String(f.code ?? 'INTERNAL');
    const err = new ChatApiError(0, code, String(f.message ?? code), typeof f.details?.field === 'string' ? f.details.field : undefined);
    const p = typeof f.clientMsgId === 'string' ? this.sends.get(f.clientMsgId) : undefined;
    if (p) {
      if (NON_RETRYABLE_CODES.has(code)) return this.settleSend(p, err);
      // UNAVAILABLE, RATE_LIMITED, INTERNAL: the same clientMsgId again after a backoff; the server stores it once.
      const delay = backoffDelay(p.errors++, { ...this.o.backoff, initialMs: Math.max(this.o.backoff.initialMs ?? 250, 250) }, this.o.random);
      clearTimeout(p.retry);
      p.retry = setTimeout(() => this._state === 'ready' && this.transmitSend(p), delay);
      return;
    }
    const sub = typeof f.roomId === 'string' ? this.rooms.get(f.roomId) : undefined;
    if (sub?.awaiting && (code === 'NOT_FOUND' || code === 'FORBIDDEN' || code === 'VALIDATION_FAILED')) {
      // The subscribe was refused: the room is gone or was never visible.
      const wasConfirmed = sub.settled;
      this.dropRoom(sub, err);
      if (wasConfirmed) this.emit('unsubscribed', { roomId: sub.roomId, reason: code === 'NOT_FOUND' ? 'removed' : code });
      return;
    }
    this.emit('error', err);
  }

  private onEvent(f: RoomEvent): void {
    const sub = this.rooms.get(f.roomId);
    if (!sub) return;
    const verdict = this.seqs.offer(f.roomId, f.seq);
    if (verdict === 'duplicate') return;
    if (verdict === 'gap') {
      // The contract rules this out; should it happen, never deliver out of order:
      // a fresh socket resubscribes every room from the last seq delivered.
      this.abandon();
      return this.onSocketClosed(4003, `gap in room ${f.roomId} before seq ${f.seq}`);
    }
    const ev: RoomEvent = { roomId: f.roomId, seq: f.seq, event: f.event };
    this.emit('event', ev);
    const set = this.roomListeners.get(f.roomId);
    if (set) for (const fn of [...set]) this.call(fn, ev);
    for (const entry of [...this.queues]) if (entry.roomId === undefined || entry.roomId === f.roomId) entry.q.push(ev);
  }

  private emit<K extends keyof RealtimeEvents>(name: K, value: RealtimeEvents[K]): void {
    const set = this.listeners.get(name);
    if (set) for (const fn of [...set]) this.call(fn, value);
  }

  /** A listener that throws must not break delivery to the others (nor the client's bookkeeping). */
  private call<T>(fn: (v: T) => void, v: T): void {
    try {
      fn(v);
    } catch (err) {
      setTimeout(() => {
        throw err;
      }, 0);
    }
  }
}

function asChatError(err: unknown): ChatApiError {
  return err instanceof ChatApiError ? err : new ChatApiError(0, 'NETWORK', (err as Error)?.message ?? String(err));
}

function wsUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/ws';
  return u.toString();
}
