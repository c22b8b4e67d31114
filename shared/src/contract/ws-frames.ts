import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Notification, TimelineEvent } from './objects';

/**
 * The WebSocket frames of `GET /v1/ws` (API.md, docs/api-extensions.md), one
 * schema per frame type: the server validates client frames with these and
 * the AsyncAPI document is made from them. Every frame is a JSON object;
 * unknown fields are ignored, so no schema refuses additional properties.
 */

const RoomId = Type.String({ minLength: 1, maxLength: 200, description: 'The room (an opaque id, at most 200 characters)' });
const UserId = Type.String({ description: 'A user id' });
const Seq = Type.Integer({ minimum: 1, description: "A position in the room's timeline" });

// client → server

export const AuthFrame = Type.Object(
  { type: Type.Literal('auth'), token: Type.String({ minLength: 1, maxLength: 8192, description: 'An access token (JWT)' }) },
  { description: 'Authenticates the socket: the first frame when the upgrade had no Authorization header (within 10 s), or a fresh token before the current one expires' },
);

export const SubscribeFrame = Type.Object(
  {
    type: Type.Literal('subscribe'),
    roomId: RoomId,
    sinceSeq: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], {
        description: 'Replay every timeline event with seq > sinceSeq before the live ones; null or absent: live events only',
      }),
    ),
  },
  { description: 'Answered with subscribed {lastSeq}, then the replay (if sinceSeq), then live events from lastSeq + 1. Not a member: error NOT_FOUND' },
);

export const UnsubscribeFrame = Type.Object({ type: Type.Literal('unsubscribe'), roomId: RoomId }, { description: 'Answered with unsubscribed' });

export const SendFrame = Type.Object(
  {
    type: Type.Literal('send'),
    roomId: RoomId,
    clientMsgId: Type.String({ minLength: 1, maxLength: 64, description: 'The client\'s idempotency key: 1–64 characters (code points). Repeating it answers the first message' }),
    body: Type.String({ minLength: 1, pattern: '\\S', description: '1–4000 characters (code points) after trimming; whitespace only is refused. Stored as sent, in Unicode NFC' }),
  },
  { description: 'Posts a message; answered with ack once stored, or an error naming roomId and clientMsgId' },
);

export const TypingFrame = Type.Object({ type: Type.Literal('typing'), roomId: RoomId }, { description: 'Tells the room\'s other subscribers that this user is typing' });

export const PingFrame = Type.Object({ type: Type.Literal('ping') }, { description: 'Answered with pong' });

/** Every client frame, by its `type`. */
export const CLIENT_FRAMES = { auth: AuthFrame, subscribe: SubscribeFrame, unsubscribe: UnsubscribeFrame, send: SendFrame, typing: TypingFrame, ping: PingFrame } as const;
export const ClientFrame = Type.Union([AuthFrame, SubscribeFrame, UnsubscribeFrame, SendFrame, TypingFrame, PingFrame]);

// server → client

export const ReadyFrame = Type.Object({ type: Type.Literal('ready'), userId: UserId }, { description: 'The first frame the server sends, once the socket is authenticated' });

export const SubscribedFrame = Type.Object(
  { type: Type.Literal('subscribed'), roomId: RoomId, lastSeq: Type.Integer({ minimum: 0, description: "The room's newest seq: live events start at lastSeq + 1" }) },
  { description: 'Answers subscribe, every time (subscribing again never duplicates events)' },
);

export const UnsubscribedFrame = Type.Object(
  {
    type: Type.Literal('unsubscribed'),
    roomId: RoomId,
    reason: Type.Optional(Type.Union([Type.Literal('room.deleted'), Type.Literal('removed')], { description: 'Absent when answering unsubscribe' })),
  },
  { description: 'Answers unsubscribe; sent unasked (with a reason) when the room is deleted, or the user leaves or is removed' },
);

export const AckFrame = Type.Object(
  { type: Type.Literal('ack'), roomId: RoomId, clientMsgId: Type.String(), messageId: Type.String(), seq: Seq },
  { description: 'Answers send once the message is stored' },
);

export const EventFrame = Type.Object(
  { type: Type.Literal('event'), roomId: RoomId, seq: Seq, event: TimelineEvent },
  { description: 'A timeline event of a subscribed room: in seq order, no gaps, no repeats within one subscription' },
);

export const TypingNoticeFrame = Type.Object(
  { type: Type.Literal('typing'), roomId: RoomId, userId: UserId },
  { description: 'Another user is typing in a subscribed room (ephemeral: no seq)' },
);

export const PresenceFrame = Type.Object(
  { type: Type.Literal('presence'), userId: UserId, status: Type.Union([Type.Literal('online'), Type.Literal('offline')]) },
  { description: "A co-member's first socket opened or last socket closed" },
);

export const PongFrame = Type.Object({ type: Type.Literal('pong') }, { description: 'Answers ping' });

export const ErrorFrame = Type.Object(
  {
    type: Type.Literal('error'),
    code: Type.String({ description: 'One of the contract\'s codes: VALIDATION_FAILED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, RATE_LIMITED, INTERNAL, UNAVAILABLE', examples: ['VALIDATION_FAILED'] }),
    message: Type.String(),
    roomId: Type.Optional(Type.String({ description: 'The room of the frame that failed' })),
    clientMsgId: Type.Optional(Type.String({ description: 'The clientMsgId of the send that failed' })),
  },
  { description: 'A frame failed; the socket stays open, except before ready (then closed with 4401) and for too many sockets (RATE_LIMITED, then closed with 1008)' },
);

export const NotificationFrame = Type.Object(
  { type: Type.Literal('notification'), notification: Notification },
  { description: "Pushed to every socket of a user mentioned as @username (once per message)" },
);

/** Every server frame, by a name (`typing` is a type of both directions: the server's is `typingNotice`). */
export const SERVER_FRAMES = {
  ready: ReadyFrame,
  subscribed: SubscribedFrame,
  unsubscribed: UnsubscribedFrame,
  ack: AckFrame,
  event: EventFrame,
  typingNotice: TypingNoticeFrame,
  presence: PresenceFrame,
  pong: PongFrame,
  error: ErrorFrame,
  notification: NotificationFrame,
} as const satisfies Record<string, TSchema>;
export const ServerFrame = Type.Union(Object.values(SERVER_FRAMES));

export type AuthFrame = Static<typeof AuthFrame>;
export type SubscribeFrame = Static<typeof SubscribeFrame>;
export type UnsubscribeFrame = Static<typeof UnsubscribeFrame>;
export type SendFrame = Static<typeof SendFrame>;
export type TypingFrame = Static<typeof TypingFrame>;
export type PingFrame = Static<typeof PingFrame>;
export type ClientFrame = Static<typeof ClientFrame>;
export type ReadyFrame = Static<typeof ReadyFrame>;
export type SubscribedFrame = Static<typeof SubscribedFrame>;
export type UnsubscribedFrame = Static<typeof UnsubscribedFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type EventFrame = Static<typeof EventFrame>;
export type TypingNoticeFrame = Static<typeof TypingNoticeFrame>;
export type PresenceFrame = Static<typeof PresenceFrame>;
export type PongFrame = Static<typeof PongFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type NotificationFrame = Static<typeof NotificationFrame>;
export type ServerFrame = Static<typeof ServerFrame>;
