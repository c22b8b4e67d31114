import { Type, type Static } from '@sinclair/typebox';

/** The contract's objects (API.md "Objects") as they travel in WebSocket frames. Extra fields may be added; clients ignore them. */
const Id = Type.String({ description: 'An opaque id' });
const Time = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });
const Seq = Type.Integer({ minimum: 1, description: "A position in the room's timeline: 1, 2, 3, … with no gaps" });

export const Room = Type.Object({
  id: Id,
  type: Type.Union([Type.Literal('group'), Type.Literal('direct')]),
  name: Type.Union([Type.String(), Type.Null()]),
  createdBy: Id,
  createdAt: Time,
  lastSeq: Type.Integer({ minimum: 0 }),
  memberCount: Type.Integer({ minimum: 0 }),
});

export const Member = Type.Object({
  userId: Id,
  role: Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]),
  joinedAt: Time,
});

export const Message = Type.Object({
  id: Id,
  roomId: Id,
  seq: Seq,
  senderId: Id,
  clientMsgId: Type.String(),
  body: Type.String({ description: 'As sent (Unicode NFC); "" once deleted' }),
  createdAt: Time,
  editedAt: Type.Union([Time, Type.Null()]),
  deleted: Type.Boolean(),
});

/** A timeline entry: the common fields and its type's payload. Open: a field added later is kept, never dropped. */
export const TimelineEvent = Type.Object(
  {
    seq: Seq,
    type: Type.String({
      description: 'room.created {room}, room.updated {room}, member.joined {member}, member.updated {member}, member.left {userId}, message.posted {message}, message.edited {message}, message.deleted {messageId}',
      examples: ['message.posted'],
    }),
    roomId: Id,
    actorId: Id,
    occurredAt: Time,
    room: Type.Optional(Room),
    member: Type.Optional(Member),
    message: Type.Optional(Message),
    userId: Type.Optional(Id),
    messageId: Type.Optional(Id),
  },
  { additionalProperties: true },
);

export const Notification = Type.Object({
  id: Id,
  kind: Type.Literal('mention'),
  roomId: Id,
  messageId: Id,
  seq: Seq,
  actorId: Id,
  createdAt: Time,
});

export type Room = Static<typeof Room>;
export type Member = Static<typeof Member>;
export type Message = Static<typeof Message>;
export type TimelineEvent = Static<typeof TimelineEvent>;
export type Notification = Static<typeof Notification>;
