// Socket.IO client for the anchor in loadtest/anchors/socketio-chat.ts.
import { io, type Socket } from 'socket.io-client';
import { noHandlers, type ClientConn, type ConnHandlers } from './types';

interface EventPayload {
  roomId: string;
  seq: number;
  body: string;
}

export class SocketIoConn implements ClientConn {
  handlers: ConnHandlers = noHandlers;

  private constructor(private readonly socket: Socket) {
    socket.on('event', (e: EventPayload) => this.handlers.onMessage(e.roomId, e.seq, e.body));
    socket.on('disconnect', () => this.handlers.onClose(1006));
  }

  static open(baseUrl: string, timeoutMs = 30_000): Promise<SocketIoConn> {
    return new Promise((resolve, reject) => {
      const socket = io(baseUrl, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs });
      socket.once('connect', () => resolve(new SocketIoConn(socket)));
      socket.once('connect_error', (err) => reject(err));
    });
  }

  subscribe(roomId: string): Promise<number> {
    return new Promise((resolve) => this.socket.emit('join', roomId, (lastSeq: number) => resolve(lastSeq)));
  }

  send(roomId: string, clientMsgId: string, body: string): void {
    this.socket.emit('send', { roomId, clientMsgId, body }, (seq: number) => this.handlers.onAck(clientMsgId, seq));
  }

  buffered(): number {
    return 0;
  }

  close(): void {
    this.socket.disconnect();
  }
}
