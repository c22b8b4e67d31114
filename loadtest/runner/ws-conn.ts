// A WebSocket client speaking the chat frame protocol (API.md). The bare ws
// anchor speaks the same frames without auth, so both use this class.
import WebSocket from 'ws';
import { noHandlers, type ClientConn, type ConnHandlers } from './types';

interface Frame {
  type: string;
  roomId?: string;
  seq?: number;
  lastSeq?: number;
  clientMsgId?: string;
  code?: string;
  event?: { type?: string; message?: { body?: string } };
}

export class WsConn implements ClientConn {
  handlers: ConnHandlers = noHandlers;
  private readonly waiting = new Map<string, (lastSeq: number) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(data.toString()));
    ws.on('close', (code) => this.handlers.onClose(code));
    ws.on('error', () => undefined);
  }

  /** Opens a socket with header auth and resolves on the server's `ready` frame. */
  static open(url: string, token: string | undefined, timeoutMs = 30_000): Promise<WsConn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, perMessageDeflate: false });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no ready frame in time'));
      }, timeoutMs);
      ws.once('message', (data) => {
        clearTimeout(timer);
        const f = JSON.parse(data.toString()) as Frame;
        if (f.type !== 'ready') {
          ws.terminate();
          reject(new Error(`first frame was ${data.toString().slice(0, 200)}`));
          return;
        }
        resolve(new WsConn(ws));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
      });
    });
  }

  subscribe(roomId: string): Promise<number> {
    return new Promise((resolve) => {
      this.waiting.set(roomId, resolve);
      this.ws.send(JSON.stringify({ type: 'subscribe', roomId }));
    });
  }

  send(roomId: string, clientMsgId: string, body: string): void {
    this.ws.send(JSON.stringify({ type: 'send', roomId, clientMsgId, body }));
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  close(): void {
    this.ws.terminate();
  }

  private onFrame(text: string): void {
    let f: Frame;
    try {
      f = JSON.parse(text) as Frame;
    } catch {
      this.handlers.onError('BAD_JSON', undefined);
      return;
    }
    switch (f.type) {
      case 'event': {
        const body = f.event?.type === 'message.posted' ? f.event.message?.body : undefined;
        if (body !== undefined) this.handlers.onMessage(f.roomId!, f.seq!, body);
        else this.handlers.onOtherEvent(f.roomId!, f.seq!);
        break;
      }
      case 'ack':
        this.handlers.onAck(f.clientMsgId!, f.seq!);
        break;
      case 'subscribed': {
        const done = this.waiting.get(f.roomId!);
        this.waiting.delete(f.roomId!);
        done?.(f.lastSeq ?? 0);
        break;
      }
      case 'error':
        this.handlers.onError(f.code ?? 'ERROR', f.clientMsgId);
        break;
      default:
        break;
    }
  }
}
