import WebSocket from 'ws';
import type { Body } from './client';

/** A WebSocket client that queues every frame the server sends. */

export interface WsOptions {
  /** Sent as `Authorization: Bearer` on the upgrade. */
  readonly token?: string;
  readonly origin?: string;
  /** Answer server pings (the `ws` default). */
  readonly autoPong?: boolean;
  readonly timeoutMs?: number;
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** The server answered the upgrade with a plain HTTP status. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

type Pred = (frame: Body) => boolean;
interface Waiter {
  readonly pred: Pred;
  readonly resolve: (frame: Body) => void;
  readonly reject: (err: Error) => void;
}

export class WsClient {
  /** Frames received and not yet taken by `next`. */
  readonly queue: Body[] = [];
  /** Every frame received, in order. */
  readonly received: Body[] = [];
  readonly closed: Promise<Closed>;
  closeInfo: Closed | undefined;
  private readonly waiters: Waiter[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed with ${code} ${reason.toString()}`));
        resolve(this.closeInfo);
      });
    });
  }

  /** Opens a socket; rejects with UpgradeRefused if the server answers the upgrade with a status. */
  static connect(url: string, opts: WsOptions = {}): Promise<WsClient> {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const ws = new WebSocket(url, {
      headers,
      ...(opts.origin === undefined ? {} : { origin: opts.origin }),
      autoPong: opts.autoPong ?? true,
      handshakeTimeout: opts.timeoutMs ?? 5000,
    });
    const client = new WsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new UpgradeRefused(res.statusCode ?? 0));
        ws.terminate();
      });
      ws.once('open', () => resolve(client));
      ws.once('error', (err) => reject(err));
      ws.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
    });
  }

  /** Connects with header auth and waits for `ready`. */
  static async ready(url: string, token: string): Promise<WsClient> {
    const c = await WsClient.connect(url, { token });
    await c.next((f) => f.type === 'ready', 5000, 'ready');
    return c;
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    let frame: Body;
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch {
      frame = { type: '<unparsable>', raw: data.toString('utf8'), isBinary };
    }
    this.received.push(frame);
    const i = this.waiters.findIndex((w) => w.pred(frame));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame);
    else this.queue.push(frame);
  }

  /** Takes the first queued (or next arriving) frame matching `pred`. */
  next(pred: Pred = () => true, timeoutMs = 5000, what = 'a frame'): Promise<Body> {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    if (this.closeInfo) return Promise.reject(new Error(`waiting for ${what}: socket already closed with ${this.closeInfo.code}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const j = this.waiters.indexOf(waiter);
        if (j >= 0) this.waiters.splice(j, 1);
        const last = this.received.slice(-3).map((f) => JSON.stringify(f).slice(0, 200));
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last frames: ${last.join(' | ')}`));
      }, timeoutMs);
      const waiter: Waiter = {
        pred,
        resolve: (f) => (clearTimeout(timer), resolve(f)),
        reject: (e) => (clearTimeout(timer), reject(new Error(`waiting for ${what}: ${e.message}`))),
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits `ms` and returns the queued frames matching `pred` that arrived (without taking them). */
  async quiet(pred: Pred, ms: number): Promise<Body[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.filter(pred);
  }

  /** Resolves with the close code, or rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  auth(token: string): void {
    this.send({ type: 'auth', token });
  }

  async subscribe(roomId: string, sinceSeq?: number): Promise<Body> {
    this.send({ type: 'subscribe', roomId, ...(sinceSeq === undefined ? {} : { sinceSeq }) });
    return this.next((f) => (f.type === 'subscribed' || f.type === 'error') && f.roomId === roomId, 5000, `subscribed ${roomId}`);
  }

  async sendMessage(roomId: string, clientMsgId: string, body: string, timeoutMs = 5000): Promise<Body> {
    this.send({ type: 'send', roomId, clientMsgId, body });
    return this.next((f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId, timeoutMs, `ack ${clientMsgId}`);
  }

  async ping(timeoutMs = 5000): Promise<Body> {
    this.send({ type: 'ping' });
    return this.next((f) => f.type === 'pong', timeoutMs, 'pong');
  }

  /** Takes `event` frames of one room until seq `untilSeq` has arrived; returns them in arrival order. */
  async eventsUntil(roomId: string, untilSeq: number, timeoutMs = 10_000): Promise<Body[]> {
    const out: Body[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!out.some((f) => f.seq >= untilSeq)) {
      const left = Math.max(1, deadline - Date.now());
      out.push(await this.next((f) => f.type === 'event' && f.roomId === roomId, left, `event seq ${untilSeq} in ${roomId}`));
    }
    return out;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
