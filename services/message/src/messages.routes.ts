import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { NotFoundError, ValidationError } from '@chat/shared/kernel/errors';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { deleteMessage, editMessage, listEvents, listMessages, markRead, postMessage } from '@chat/shared/contract/http/messages';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { clientMsgId, messageBody } from '@chat/shared/domain/message-input';

export interface MessagesRoutesDeps {
  commands: RoomCommands;
  queries: RoomQueries;
  /** Send → durable ack, by transport. */
  sendAck?: Histogram<'transport'>;
}

export async function messagesRoutes(app: FastifyInstance, d: MessagesRoutesDeps): Promise<void> {
  // The sender's msg bucket (RouteSpec.rateLimit 'msg', shared with WebSocket sends) is taken after the
  // body's checks (preHandler): a malformed message is a 400 and takes no token.
  serveContractRoute(app, postMessage, async (request, reply) => {
    const { roomId } = request.params;
    const cmd = { clientMsgId: clientMsgId(request.body.clientMsgId), body: messageBody(request.body.body) };
    const ack = d.sendAck?.startTimer({ transport: 'http' });
    const result = await d.commands.execute({ type: 'postMessage', actorId: request.userId, roomId, ...cmd });
    ack?.();
    if (result.type !== 'message') throw new Error('expected a message');
    return reply.status(result.created ? 201 : 200).send({ message: result.message });
  }, { preHandler: (request) => void [clientMsgId(request.body.clientMsgId), messageBody(request.body.body)] });

  serveContractRoute(app, listMessages, async (request) => {
    const { roomId } = request.params;
    const { before, after, limit = 50 } = request.query;
    if (before !== undefined && after !== undefined) throw new ValidationError('give before or after, not both', 'before');
    const page = await d.queries.messages(roomId, request.userId, { before, after, limit });
    return { messages: page.items, hasMore: page.hasMore };
  });

  serveContractRoute(app, editMessage, async (request) => {
    const { roomId, messageId } = request.params;
    const body = messageBody(request.body.body);
    const result = await d.commands.execute({ type: 'editMessage', actorId: request.userId, roomId, messageId, body });
    if (result.type !== 'message') throw new NotFoundError('message');
    return { message: result.message };
  });

  serveContractRoute(app, deleteMessage, async (request, reply) => {
    const { roomId, messageId } = request.params;
    await d.commands.execute({ type: 'deleteMessage', actorId: request.userId, roomId, messageId });
    return reply.status(204).send(null);
  });

  serveContractRoute(app, listEvents, async (request) => {
    const { roomId } = request.params;
    const { after = 0, limit = 100 } = request.query;
    const page = await d.queries.events(roomId, request.userId, after, limit);
    return { events: page.items, hasMore: page.hasMore };
  });

  serveContractRoute(app, markRead, async (request, reply) => {
    const { roomId } = request.params;
    await d.queries.markRead(roomId, request.userId, request.body.seq);
    return reply.status(204).send(null);
  });
}
