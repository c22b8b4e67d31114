import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { NotFoundError, RateLimitedError, ValidationError } from '@chat/shared/kernel/errors';
import { queryInt } from '@chat/shared/http/request-parsing';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { BucketRule, RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import { clientMsgId, messageBody } from '@chat/shared/domain/message-input';

export interface MessagesRoutesDeps {
  commands: RoomCommands;
  queries: RoomQueries;
  limiter: RateLimiter;
  messageRule: BucketRule;
  /** Send → durable ack, by transport. */
  sendAck?: Histogram<'transport'>;
}

type Params = { roomId: string; messageId: string };
const MAX_SEQ = 2 ** 53 - 1;
const jsonObject = { type: 'object' } as const;

function bodyObject(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ValidationError('body must be a JSON object', 'body');
  return raw as Record<string, unknown>;
}

export async function messagesRoutes(app: FastifyInstance, d: MessagesRoutesDeps): Promise<void> {
  app.post('/v1/rooms/:roomId/messages', { schema: { body: jsonObject } }, async (request, reply) => {
    const { roomId } = request.params as Params;
    const input = bodyObject(request.body);
    const cmd = { clientMsgId: clientMsgId(input.clientMsgId), body: messageBody(input.body) };
    const verdict = await d.limiter.take(`msg:${request.userId}`, d.messageRule);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
    const ack = d.sendAck?.startTimer({ transport: 'http' });
    const result = await d.commands.execute({ type: 'postMessage', actorId: request.userId, roomId, ...cmd });
    ack?.();
    if (result.type !== 'message') throw new Error('expected a message');
    return reply.status(result.created ? 201 : 200).send({ message: result.message });
  });

  app.get('/v1/rooms/:roomId/messages', async (request) => {
    const { roomId } = request.params as Params;
    const q = request.query as Record<string, unknown>;
    const before = queryInt(q.before, 'before', 0, MAX_SEQ);
    const after = queryInt(q.after, 'after', 0, MAX_SEQ);
    const limit = queryInt(q.limit, 'limit', 1, 100, 50)!;
    if (before !== undefined && after !== undefined) throw new ValidationError('give before or after, not both', 'before');
    const page = await d.queries.messages(roomId, request.userId, { before, after, limit });
    return { messages: page.items, hasMore: page.hasMore };
  });

  app.patch('/v1/rooms/:roomId/messages/:messageId', { schema: { body: jsonObject } }, async (request) => {
    const { roomId, messageId } = request.params as Params;
    const body = messageBody(bodyObject(request.body).body);
    const result = await d.commands.execute({ type: 'editMessage', actorId: request.userId, roomId, messageId, body });
    if (result.type !== 'message') throw new NotFoundError('message');
    return { message: result.message };
  });

  app.delete('/v1/rooms/:roomId/messages/:messageId', async (request, reply) => {
    const { roomId, messageId } = request.params as Params;
    await d.commands.execute({ type: 'deleteMessage', actorId: request.userId, roomId, messageId });
    return reply.status(204).send();
  });

  app.get('/v1/rooms/:roomId/events', async (request) => {
    const { roomId } = request.params as Params;
    const q = request.query as Record<string, unknown>;
    const after = queryInt(q.after, 'after', 0, MAX_SEQ, 0)!;
    const limit = queryInt(q.limit, 'limit', 1, 500, 100)!;
    const page = await d.queries.events(roomId, request.userId, after, limit);
    return { events: page.items, hasMore: page.hasMore };
  });

  app.post('/v1/rooms/:roomId/read', { schema: { body: { type: 'object', required: ['seq'], properties: { seq: { type: 'integer', minimum: 0, maximum: MAX_SEQ } } } } }, async (request, reply) => {
    const { roomId } = request.params as Params;
    await d.queries.markRead(roomId, request.userId, (request.body as { seq: number }).seq);
    return reply.status(204).send();
  });
}
