import type { Histogram } from 'prom-client';
import { AppError, isDependencyUnavailable } from '@chat/shared/kernel/errors';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { Background } from './background';

export interface PendingSend {
  roomId: string;
  clientMsgId: string;
  body: string;
  ack: () => void;
}

/** What sending needs of a socket: its queue of sends and a way to answer. */
export interface SendingSocket {
  readonly userId: string | undefined;
  readonly pendingSends: PendingSend[];
  sending: boolean;
  send(frame: object): boolean;
}

/**
 * A socket's `send` frames to the room writer: queued in the order the client
 * sent them and handed over in batches while later frames go on being read;
 * each answered with its ack (once stored) or its error. Not bounded by a
 * deadline: a send's answer is its true outcome (a retry is idempotent).
 */
export class MessageSender {
  constructor(
    private readonly commands: RoomCommands,
    private readonly background: Background,
    private readonly log: { error(obj: object, msg: string): void },
    private readonly sendAck: Histogram<'transport'>,
  ) {}

  enqueue(c: SendingSocket, send: Omit<PendingSend, 'ack'>): void {
    c.pendingSends.push({ ...send, ack: this.sendAck.startTimer({ transport: 'ws' }) });
    if (!c.sending) this.background.run('send batch', () => this.flush(c));
  }

  private async flush(c: SendingSocket): Promise<void> {
    c.sending = true;
    try {
      while (c.pendingSends.length > 0 && c.userId) {
        const batch = c.pendingSends.splice(0, 100);
        const commands = batch.map((s) => ({ type: 'postMessage' as const, actorId: c.userId!, roomId: s.roomId, clientMsgId: s.clientMsgId, body: s.body }));
        const outcomes = await this.commands.executeMany(commands).catch((err) => {
          const error = isDependencyUnavailable(err) || err instanceof AppError ? { code: err instanceof AppError ? err.code : 'UNAVAILABLE', message: String(err.message ?? err) } : { code: 'INTERNAL', message: 'internal error' };
          if (error.code === 'INTERNAL') this.log.error({ err }, 'send batch failed');
          return batch.map(() => ({ error }));
        });
        batch.forEach((s, i) => {
          const o = outcomes[i];
          if (o && 'result' in o && o.result.type === 'message') {
            s.ack();
            c.send({ type: 'ack', roomId: s.roomId, clientMsgId: s.clientMsgId, messageId: o.result.message.id, seq: o.result.message.seq });
          } else {
            const error = o && 'error' in o ? o.error : { code: 'INTERNAL', message: 'internal error' };
            c.send({ type: 'error', code: error.code, message: error.message, roomId: s.roomId, clientMsgId: s.clientMsgId });
          }
        });
      }
    } finally {
      c.sending = false;
    }
  }
}
