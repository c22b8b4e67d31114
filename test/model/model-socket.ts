import WebSocket from 'ws';

/** A frame from the server, whatever it holds (the model asserts its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = any;

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** What a socket reports to the run: every event it got, every broken rule. */
export interface Observer {
  /** `replayOf`: when the subscribe that replays this event was sent (ms), if the event is replayed (seq ≤ its lastSeq). */
  event(label: string, roomId: string, seq: number, event: Frame, replayOf: number | undefined): void;
  violation(text: string): void;
}

interface Waiter {
  readonly pred: (f: Frame) => boolean;
  readonly resolve: (f: Frame) => void;
  readonly reject: (e: Error) => void;
}

/**
 * One client socket of the model. Event frames are checked as they arrive
 * (per room: only while subscribed, each seq exactly the next one); typing
 * frames about the socket's own user are violations; notifications are
 * ignored; every other frame waits in `queue` for the command that expects it.
 */
export class ModelSocket {
  readonly queue: Frame[] = [];
  /** Room → the next seq this subscription must deliver; present while subscribed. */
  readonly next = new Map<string, number>();
  /** Room → sinceSeq of the subscribe frames sent and not yet answered. */
  private readonly asked = new Map<string, Array<{ since: number | undefined; at: number }>>();
  /** Room → the replay of the current subscription: up to which seq, and when its subscribe was sent. */
  private readonly replay = new Map<string, { to: number; at: number }>();
  closeInfo: Closed | undefined;
  readonly closed: Promise<Closed>;
  private readonly waiters: Waiter[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly label: string,
    readonly userId: string,
    /** Room → position in the stream (last seq delivered or skipped past), kept by the slot across reconnects. */
    readonly pos: Map<string, number>,
    private readonly obs: Observer,
  ) {
    ws.on('error', () => undefined);
    ws.on('message', (data) => this.onFrame(String(data)));
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.next.clear();
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${label} closed with ${code}`));
        resolve(this.closeInfo);
      });
    });
  }

  /** Opens a socket: with `token`, header auth; without, the first frame must authenticate. */
  static open(url: string, label: string, userId: string, pos: Map<string, number>, obs: Observer, token?: string): Promise<ModelSocket> {
    const ws = new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, handshakeTimeout: 5000 });
    const s = new ModelSocket(ws, label, userId, pos, obs);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_q, res) => reject(new Error(`${label}: upgrade refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  private onFrame(text: string): void {
    let f: Frame;
    try {
      f = JSON.parse(text);
    } catch {
      return this.obs.violation(`${this.label}: unparsable frame ${text.slice(0, 100)}`);
    }
    if (f.type === 'notification') return;
    if (f.type === 'event') return this.onEvent(f);
    if (f.type === 'typing' && f.userId === this.userId) return this.obs.violation(`${this.label}: got its own user's typing in ${f.roomId}`);
    if (f.type === 'typing' && !this.next.has(f.roomId)) return this.obs.violation(`${this.label}: typing for ${f.roomId}, not subscribed`);
    if (f.type === 'subscribed') this.onSubscribed(f);
    if (f.type === 'unsubscribed') this.next.delete(f.roomId);
    // A refused subscribe answers its own sinceSeq; a send's error (it names its clientMsgId) does not.
    if (f.type === 'error' && f.roomId && f.clientMsgId === undefined && this.asked.get(f.roomId)?.length) this.asked.get(f.roomId)!.shift();
    const i = this.waiters.findIndex((w) => w.pred(f));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(f);
    else this.queue.push(f);
  }

  private onSubscribed(f: Frame): void {
    const asked = this.asked.get(f.roomId)?.shift();
    const since = asked?.since;
    const from = Math.min(since ?? f.lastSeq, f.lastSeq);
    const next = this.next.get(f.roomId);
    if (next === undefined && asked) this.replay.set(f.roomId, { to: f.lastSeq, at: asked.at });
    // Subscribing again goes on with the same stream: never back (no repeats); only a
    // sinceSeq (or, without one, the lastSeq answered) ahead of it skips forward to it.
    const want = next === undefined ? from + 1 : Math.max(next, from + 1);
    this.next.set(f.roomId, want);
    this.pos.set(f.roomId, want - 1);
  }

  private onEvent(f: Frame): void {
    const want = this.next.get(f.roomId);
    if (want === undefined) return this.obs.violation(`${this.label}: event seq ${f.seq} in ${f.roomId} while not subscribed`);
    if (f.seq !== want) this.obs.violation(`${this.label}: event seq ${f.seq} in ${f.roomId}, expected ${want}`);
    if (f.event?.seq !== f.seq || f.event?.roomId !== f.roomId) this.obs.violation(`${this.label}: event frame ${JSON.stringify(f).slice(0, 200)} disagrees with its event`);
    this.next.set(f.roomId, Math.max(want, f.seq + 1));
    this.pos.set(f.roomId, Math.max(this.pos.get(f.roomId) ?? 0, f.seq));
    const replay = this.replay.get(f.roomId);
    this.obs.event(this.label, f.roomId, f.seq, f.event, replay && f.seq <= replay.to ? replay.at : undefined);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: object): void {
    const f = frame as { type?: string; roomId: string; sinceSeq?: number };
    if (f.type === 'subscribe') {
      const list = this.asked.get(f.roomId) ?? [];
      list.push({ since: f.sinceSeq, at: Date.now() });
      this.asked.set(f.roomId, list);
    }
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Takes the first queued (or next) frame matching `pred`. */
  take(pred: (f: Frame) => boolean, what: string, timeoutMs = 10_000): Promise<Frame> {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    if (this.closeInfo) return Promise.reject(new Error(`${this.label}: waiting for ${what}, closed with ${this.closeInfo.code}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.label}: no ${what} in ${timeoutMs} ms; queued: ${JSON.stringify(this.queue).slice(0, 300)}`));
      }, timeoutMs);
      const w: Waiter = {
        pred,
        resolve: (f) => (clearTimeout(timer), resolve(f)),
        reject: (e) => (clearTimeout(timer), reject(new Error(`${this.label}: waiting for ${what}: ${e.message}`))),
      };
      this.waiters.push(w);
    });
  }

  /** Resolves once this socket's stream of `roomId` has delivered `seq`. */
  async caughtUp(roomId: string, seq: number, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((this.next.get(roomId) ?? Infinity) <= seq) {
      if (Date.now() > until) throw new Error(`${this.label}: stream of ${roomId} stuck at ${this.next.get(roomId)! - 1}, room is at ${seq}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${this.label}: still open after ${timeoutMs} ms`)), timeoutMs)));
    try {
      return await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  terminate(): void {
    this.ws.terminate();
  }
}
