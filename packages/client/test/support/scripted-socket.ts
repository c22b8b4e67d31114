import type { WebSocketLike } from '../../src/realtime';

/** A scripted socket: the test plays the server. */
export class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Array<Record<string, any>> = [];
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: any) => void) | null = null;
  onclose: ((ev: any) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
    setTimeout(() => this.open(), 0);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.onopen?.({});
  }
  recv(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  frames(type: string): Array<Record<string, any>> {
    return this.sent.filter((f) => f.type === type);
  }
}

export const tick = (ms = 15) => new Promise((r) => setTimeout(r, ms));
/** The n-th socket the client opened (1-based), once it is open. */
export async function nextSocket(n: number): Promise<FakeSocket> {
  for (let i = 0; i < 200 && FakeSocket.all.length < n; i++) await tick(5);
  const s = FakeSocket.all[n - 1];
  if (!s) throw new Error(`socket ${n} never opened`);
  await tick(5);
  return s;
}
