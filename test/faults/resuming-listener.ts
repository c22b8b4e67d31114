import { WsClient, type Body } from '../blackbox/client';

/**
 * A client as the contract asks clients to be: it subscribes with `sinceSeq`
 * from the last seq it saw, and after any close (or a failed connect) it
 * reconnects and resumes the same way. It records every timeline seq it is
 * shown, repeats included, so a test can check "every seq once, in order".
 */
export class ResumingListener {
  readonly seqs: number[] = [];
  readonly events: Body[] = [];
  unsubscribedReason: string | undefined;
  reconnects = 0;
  private socket: WsClient | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly wsUrl: string, private readonly token: () => string, private readonly roomId: string, private lastSeq = 0) {
    this.loop = this.run();
  }

  get last(): number {
    return this.lastSeq;
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.unsubscribedReason === undefined) {
      try {
        const ws = await WsClient.ready(this.wsUrl, this.token());
        this.socket = ws;
        ws.ws.on('message', (data) => this.onFrame(data.toString()));
        ws.send({ type: 'subscribe', roomId: this.roomId, sinceSeq: this.lastSeq });
        await ws.closed;
      } catch {
        // Not reachable, or not ready in time: retry like a client would.
      }
      this.socket = undefined;
      if (this.stopped || this.unsubscribedReason !== undefined) return;
      this.reconnects++;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private onFrame(text: string): void {
    let frame: Body;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.roomId !== this.roomId) return;
    if (frame.type === 'event') {
      this.seqs.push(frame.seq);
      this.events.push(frame.event);
      this.lastSeq = Math.max(this.lastSeq, frame.seq);
    } else if (frame.type === 'unsubscribed' && frame.reason) {
      this.unsubscribedReason = frame.reason;
      this.socket?.terminate();
    } else if (frame.type === 'error') {
      // A subscribe refused while a dependency is down: drop the socket and resume.
      this.socket?.terminate();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.socket?.terminate();
    await this.loop;
  }
}
