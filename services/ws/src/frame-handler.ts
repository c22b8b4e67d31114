import { NotFoundError, RateLimitedError } from '@chat/shared/kernel/errors';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { BucketRule, RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import type { MessageSender, SendingSocket } from './message-sender';
import type { PublishSignal } from './presence-tracker';
import type { RoomSubscriptions, Subscriber } from './room-subscriptions';
import type { ClientFrame } from './ws.frames';

export interface FrameHandlerDeps<C extends Subscriber & SendingSocket> {
  subscriptions: RoomSubscriptions<C>;
  sender: MessageSender;
  queries: Pick<RoomQueries, 'roleOf'>;
  publishSignal: PublishSignal;
  limiter: RateLimiter;
  messageRule: BucketRule;
  frameRule: BucketRule;
  validateSend: (frame: { clientMsgId: unknown; body: unknown }) => { clientMsgId: string; body: string };
}

/** The frames of an authenticated socket. A failure rejects; the socket answers it with an error frame for that frame. */
export class FrameHandler<C extends Subscriber & SendingSocket> {
  constructor(private readonly d: FrameHandlerDeps<C>) {}

  /** Takes one frame from the user's frame bucket; RATE_LIMITED when it is empty. */
  async takeFrame(userId: string): Promise<void> {
    const verdict = await this.d.limiter.take(`frame:${userId}`, this.d.frameRule);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }

  /** One frame, already counted by takeFrame. */
  async handle(c: C, frame: Exclude<ClientFrame, { type: 'auth' }>): Promise<void> {
    const userId = c.userId!;
    switch (frame.type) {
      case 'ping':
        return void c.send({ type: 'pong' });
      case 'subscribe':
        return this.d.subscriptions.subscribe(c, frame.roomId, frame.sinceSeq);
      case 'unsubscribe':
        return this.d.subscriptions.unsubscribe(c, frame.roomId);
      case 'send': {
        const input = this.d.validateSend(frame);
        const verdict = await this.d.limiter.take(`msg:${userId}`, this.d.messageRule);
        if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
        return this.d.sender.enqueue(c, { roomId: frame.roomId, ...input });
      }
      case 'typing':
        if (!(await this.d.queries.roleOf(frame.roomId, userId))) throw new NotFoundError('room');
        return this.d.publishSignal('typing.started', frame.roomId, { roomId: frame.roomId, userId });
    }
  }
}
