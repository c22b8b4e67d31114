import { Type } from '@sinclair/typebox';
import { ErrorBody, Message, Notification, TimelineEvent } from '../objects';
import { defineRoute, MAX_SEQ, NoContent, NOT_BLANK, PathId, privateErrors, roomErrors } from './route-spec';
import { Seq } from '../seq';

const RoomParams = Type.Object({ roomId: PathId });
const MessageParams = Type.Object({ roomId: PathId, messageId: PathId });

const tags = ['messages'];
const MessageBody = Type.String({ minLength: 1, pattern: NOT_BLANK, description: '1–4000 characters after trimming; not whitespace only' });

export const postMessage = defineRoute({
  method: 'POST',
  url: '/v1/rooms/:roomId/messages',
  rateLimit: 'msg',
  schema: {
    operationId: 'postMessage',
    summary: 'Send a message; repeating a clientMsgId answers 200 with the first message',
    tags,
    params: RoomParams,
    body: Type.Object({ clientMsgId: Type.String({ minLength: 1, maxLength: 64 }), body: MessageBody }, { examples: [{ clientMsgId: 'c-1', body: '서버가 죽었어요' }] }),
    response: { 201: Type.Object({ message: Message }), 200: Type.Object({ message: Message }), ...roomErrors, 403: ErrorBody },
  },
  links: {
    201: {
      EditMessage: { operationId: 'editMessage', parameters: { roomId: '$response.body#/message/roomId', messageId: '$response.body#/message/id' } },
      DeleteMessage: { operationId: 'deleteMessage', parameters: { roomId: '$response.body#/message/roomId', messageId: '$response.body#/message/id' } },
    },
  },
});

export const listMessages = defineRoute({
  method: 'GET',
  url: '/v1/rooms/:roomId/messages',
  schema: {
    operationId: 'listMessages',
    summary: 'A page of history, ascending by seq; no cursor: the newest',
    tags,
    params: RoomParams,
    querystring: Type.Object({ before: Type.Optional(Seq), after: Type.Optional(Seq), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) }),
    response: { 200: Type.Object({ messages: Type.Array(Message), hasMore: Type.Boolean() }), ...roomErrors },
  },
});

export const editMessage = defineRoute({
  method: 'PATCH',
  url: '/v1/rooms/:roomId/messages/:messageId',
  schema: {
    operationId: 'editMessage',
    summary: 'Edit your message',
    tags,
    params: MessageParams,
    body: Type.Object({ body: MessageBody }, { examples: [{ body: '서버가 살아났어요' }] }),
    response: { 200: Type.Object({ message: Message }), ...roomErrors, 403: ErrorBody },
  },
});

export const deleteMessage = defineRoute({
  method: 'DELETE',
  url: '/v1/rooms/:roomId/messages/:messageId',
  schema: { operationId: 'deleteMessage', summary: 'Delete a message (sender, owner or admin); it stays as a tombstone', tags, params: MessageParams, response: { 204: NoContent, ...roomErrors, 403: ErrorBody } },
});

export const listEvents = defineRoute({
  method: 'GET',
  url: '/v1/rooms/:roomId/events',
  schema: {
    operationId: 'listEvents',
    summary: 'The room timeline after a seq, ascending, gapless',
    tags,
    params: RoomParams,
    querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SEQ, default: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }),
    response: { 200: Type.Object({ events: Type.Array(TimelineEvent), hasMore: Type.Boolean() }), ...roomErrors },
  },
});

export const markRead = defineRoute({
  method: 'POST',
  url: '/v1/rooms/:roomId/read',
  schema: {
    operationId: 'markRead',
    summary: "Move the caller's read position forward",
    tags,
    params: RoomParams,
    body: Type.Object({ seq: Seq }, { examples: [{ seq: 3 }] }),
    response: { 204: NoContent, ...roomErrors },
  },
});

export const search = defineRoute({
  method: 'GET',
  url: '/v1/search',
  schema: {
    operationId: 'search',
    summary: "Search the caller's rooms, newest first",
    tags: ['search'],
    querystring: Type.Object({
      q: Type.String({ minLength: 1, maxLength: 200, pattern: NOT_BLANK, description: '1–200 characters, not whitespace only', examples: ['서버'] }),
      roomId: Type.Optional(Type.String()),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
    }),
    response: { 200: Type.Object({ hits: Type.Array(Type.Object({ message: Message })) }), ...roomErrors },
  },
});

export const listNotifications = defineRoute({
  method: 'GET',
  url: '/v1/notifications',
  schema: {
    operationId: 'listNotifications',
    summary: "The caller's mentions, newest first",
    tags: ['notifications'],
    querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) }),
    response: { 200: Type.Object({ notifications: Type.Array(Notification) }), ...privateErrors },
  },
});
