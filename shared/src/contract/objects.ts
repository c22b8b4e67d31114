import { Type, type Static, type TUnsafe } from '@sinclair/typebox';
import { Seq } from './seq';

/**
 * The public objects of API.md as JSON Schemas: the routes' response schemas,
 * the OpenAPI document and the WebSocket frames all use these. Response
 * serialisation keeps only the properties named here, so every field API.md or
 * docs/api-extensions.md allows must be named (shared/test/contract-serialization.test.ts
 * drives every route and fails on any field a schema would drop).
 */
/**
 * `{type:"string", enum}` and `{type:["string","null"]}` rather than TypeBox's anyOf unions: the response
 * serialiser writes these directly, where an anyOf would run a validator per value.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
export function NullableString(options: { format?: string; description?: string } = {}): TUnsafe<string | null> {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}

const Time = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });
const OptionalTime = NullableString({ format: 'date-time', description: 'ISO-8601 UTC, or null' });

const EXAMPLE_USER = '0190a5f4-7b1c-7cc0-8a2e-3f1d2c4b5a60';
const EXAMPLE_ROOM = '0190a5f5-0d3e-7a41-9b6c-1e2f3a4b5c6d';
const EXAMPLE_TIME = '2026-11-28T09:30:00.000Z';

export const User = Type.Object(
  { id: Type.String(), username: Type.String(), displayName: Type.String(), createdAt: Time },
  { title: 'User', examples: [{ id: EXAMPLE_USER, username: 'minji', displayName: 'Minji', createdAt: EXAMPLE_TIME }] },
);

const roomFields = {
  id: Type.String(),
  type: StringEnum(['group', 'direct']),
  name: NullableString({ description: 'null for a direct room' }),
  createdBy: Type.String(),
  createdAt: Time,
  lastSeq: Seq,
  memberCount: Type.Integer({ minimum: 0 }),
};
const EXAMPLE_ROOM_VIEW = { id: EXAMPLE_ROOM, type: 'group', name: 'backend', createdBy: EXAMPLE_USER, createdAt: EXAMPLE_TIME, lastSeq: 3, memberCount: 2 };
export const Room = Type.Object(roomFields, { title: 'Room', examples: [EXAMPLE_ROOM_VIEW] });
/** A room in GET /v1/rooms: the room and the caller's read position. */
export const ListedRoom = Type.Object(
  { ...roomFields, lastReadSeq: Seq, unreadCount: Type.Integer({ minimum: 0 }) },
  { title: 'ListedRoom', examples: [{ ...EXAMPLE_ROOM_VIEW, lastReadSeq: 2, unreadCount: 1 }] },
);

export const Role = StringEnum(['owner', 'admin', 'member']);
export const Member = Type.Object(
  { userId: Type.String(), role: Role, joinedAt: Time },
  { title: 'Member', examples: [{ userId: EXAMPLE_USER, role: 'owner', joinedAt: EXAMPLE_TIME }] },
);

export const Message = Type.Object(
  {
    id: Type.String(),
    roomId: Type.String(),
    seq: Seq,
    senderId: Type.String(),
    clientMsgId: Type.String(),
    body: Type.String({ description: 'empty once deleted' }),
    createdAt: Time,
    editedAt: OptionalTime,
    deleted: Type.Boolean(),
  },
  {
    title: 'Message',
    examples: [{ id: '0190a5f6-2a4b-7c8d-9e0f-1a2b3c4d5e6f', roomId: EXAMPLE_ROOM, seq: 4, senderId: EXAMPLE_USER, clientMsgId: 'c-1', body: '서버가 죽었어요', createdAt: EXAMPLE_TIME, editedAt: null, deleted: false }],
  },
);

/**
 * A room timeline entry: the common fields and the payload of its type. It
 * stays open (additionalProperties) so that a payload field added to an event
 * type later is never dropped by a response serialiser.
 */
export const TimelineEvent = Type.Object(
  {
    seq: Seq,
    type: StringEnum(['room.created', 'room.updated', 'room.deleted', 'member.joined', 'member.updated', 'member.left', 'message.posted', 'message.edited', 'message.deleted']),
    roomId: Type.String(),
    actorId: Type.String(),
    occurredAt: Time,
    room: Type.Optional(Room),
    member: Type.Optional(Member),
    userId: Type.Optional(Type.String({ description: 'member.left' })),
    message: Type.Optional(Message),
    messageId: Type.Optional(Type.String({ description: 'message.deleted' })),
  },
  { title: 'TimelineEvent', additionalProperties: true, examples: [{ seq: 1, type: 'room.created', roomId: EXAMPLE_ROOM, actorId: EXAMPLE_USER, occurredAt: EXAMPLE_TIME, room: { ...EXAMPLE_ROOM_VIEW, lastSeq: 1, memberCount: 1 } }] },
);

export const Notification = Type.Object(
  { id: Type.String(), kind: Type.String({ description: 'what happened; "mention" today' }), roomId: Type.String(), messageId: Type.String(), seq: Seq, actorId: Type.String(), createdAt: Time },
  { title: 'Notification' },
);

export const TokenPair = Type.Object(
  { accessToken: Type.String(), refreshToken: Type.String(), expiresIn: Type.Integer({ minimum: 1, description: 'seconds until the access token expires' }) },
  { title: 'TokenPair', examples: [{ accessToken: 'eyJhbGciOiJIUzI1NiJ9.…', refreshToken: 'rt_…', expiresIn: 900 }] },
);
export const Session = Type.Object(
  { user: User, accessToken: Type.String(), refreshToken: Type.String(), expiresIn: Type.Integer({ minimum: 1 }) },
  { title: 'Session' },
);

/** The contract's error body: `{"error":{"code","message","details"?}}`. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: StringEnum(['VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'INTERNAL', 'UNAVAILABLE']),
      message: Type.String(),
      details: Type.Optional(Type.Object({ field: Type.Optional(Type.String()) }, { additionalProperties: true })),
    }),
  },
  { title: 'ErrorBody', examples: [{ error: { code: 'VALIDATION_FAILED', message: 'body must be at most 4000 characters', details: { field: 'body' } } }] },
);

export type User = Static<typeof User>;
export type Room = Static<typeof Room>;
export type Member = Static<typeof Member>;
export type Message = Static<typeof Message>;
export type TimelineEvent = Static<typeof TimelineEvent>;
export type Notification = Static<typeof Notification>;
