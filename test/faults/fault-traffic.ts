import { cmid, sleep, type Api, type Session } from '../blackbox/client';
import { ResumingListener } from './resuming-listener';

export interface Ack {
  readonly messageId: string;
  readonly seq: number;
}

/** What every HTTP request of the traffic got, outage or not. */
export interface Outcomes {
  ok: number;
  unavailable: number;
  /** 5xx other than 503: never allowed. */
  serverErrors: string[];
  /** No answer within the client's timeout. */
  timeouts: number;
  timedOut: string[];
  other: string[];
}

const CLIENT_TIMEOUT_MS = 10_000;

/**
 * The traffic of a fault scenario: one sender that retries each clientMsgId
 * until it is acknowledged (as the contract lets a client), two listeners that
 * resume with sinceSeq after any close, and one member who is removed while
 * the stream runs (and listens too).
 */
export class FaultTraffic {
  readonly acked = new Map<string, Ack>();
  readonly retries = { count: 0 };
  readonly outcomes: Outcomes = { ok: 0, unavailable: 0, serverErrors: [], timeouts: 0, timedOut: [], other: [] };
  readonly listeners: ResumingListener[];
  readonly removedListener: ResumingListener;
  removedAtSeq: number | undefined;
  private stopped = false;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly api: Api,
    wsUrl: string,
    readonly owner: Session,
    readonly members: Session[],
    readonly removed: Session,
    readonly roomId: string,
  ) {
    this.listeners = members.map((m) => new ResumingListener(wsUrl, () => m.accessToken, roomId));
    this.removedListener = new ResumingListener(wsUrl, () => removed.accessToken, roomId);
  }

  /** One request, its outcome recorded; the answer when it succeeded (2xx), or `also` names its status; else undefined. */
  async request(method: string, path: string, token: string, body?: unknown, also: number[] = []): Promise<{ status: number; body: any } | undefined> {
    try {
      const res = await this.api.req(method, path, { token, body, timeoutMs: CLIENT_TIMEOUT_MS });
      if (res.status < 400) this.outcomes.ok++;
      else if (res.status === 503) this.outcomes.unavailable++;
      else if (res.status >= 500) this.outcomes.serverErrors.push(`${method} ${path} → ${res.status} ${res.text.slice(0, 120)}`);
      else if (!also.includes(res.status)) this.outcomes.other.push(`${method} ${path} → ${res.status} ${res.text.slice(0, 120)}`);
      return res.status < 400 || also.includes(res.status) ? res : undefined;
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') {
        this.outcomes.timeouts++;
        if (this.outcomes.timedOut.length < 5) this.outcomes.timedOut.push(`${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')}`);
      }
      else this.outcomes.other.push(`${method} ${path} → ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Sends one message, retrying the same clientMsgId until it is acknowledged. */
  async send(text: string): Promise<Ack> {
    const clientMsgId = cmid();
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        this.retries.count++;
        await sleep(Math.min(2000, 200 * attempt));
      }
      const res = await this.request('POST', `/v1/rooms/${this.roomId}/messages`, this.owner.accessToken, { clientMsgId, body: text });
      if (res) {
        const ack = { messageId: res.body.message.id, seq: res.body.message.seq };
        this.acked.set(clientMsgId, ack);
        return ack;
      }
    }
  }

  start(): void {
    this.sending = (async () => {
      for (let i = 0; !this.stopped; i++) {
        await this.send(`fault traffic ${i}`);
        await sleep(50);
      }
    })();
  }

  /**
   * The owner removes `removed`, retrying until it is done. A retry may find it
   * done already (the first attempt was answered 503 at the deadline but went
   * on): then it is a 404, the member being gone.
   */
  async removeMember(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.request('DELETE', `/v1/rooms/${this.roomId}/members/${this.removed.user.id}`, this.owner.accessToken, undefined, attempt > 0 ? [404] : []);
      if (res) break;
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.sending;
  }

  async stopListeners(): Promise<void> {
    await Promise.all([...this.listeners, this.removedListener].map((l) => l.stop()));
  }
}
