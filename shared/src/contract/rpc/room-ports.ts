import { Type, type TTuple } from '@sinclair/typebox';
import type { RoomCommands } from '../../ports/room-commands';
import type { RoomQueries } from '../../ports/room-queries';
import { NullableString, StringEnum } from '../objects';
import { Seq } from '../seq';

/**
 * The arguments of every method the message service exposes over internal RPC,
 * as JSON Schema tuples. A method is callable only if it is named here, and a
 * call is checked against its tuple before it reaches the port; the mapped
 * types make leaving a port method out (or naming one it lacks) a type error.
 */
export type RpcMethods<T> = { readonly [K in keyof T]: TTuple };

/** Ids as the public routes pass them on: a path segment may be any string up to the router's limit (1000), and names nothing when it is not an id. */
const Id = Type.String({ maxLength: 65_536 });
const Limit = Type.Integer({ minimum: 1, maximum: 10_000 });
const Text = Type.String({ maxLength: 1_000_000 });

const command = (type: string, fields: Parameters<typeof Type.Object>[0]) => Type.Object({ type: Type.Literal(type), actorId: Id, ...fields });
export const RoomCommandSchema = Type.Union([
  command('createRoom', { roomType: StringEnum(['group', 'direct']), name: NullableString(), memberIds: Type.Array(Id, { maxItems: 1000 }) }),
  command('renameRoom', { roomId: Id, name: Text }),
  command('deleteRoom', { roomId: Id }),
  command('addMember', { roomId: Id, userId: Id }),
  command('changeRole', { roomId: Id, userId: Id, role: StringEnum(['admin', 'member']) }),
  command('removeMember', { roomId: Id, userId: Id }),
  command('postMessage', { roomId: Id, clientMsgId: Text, body: Text }),
  command('editMessage', { roomId: Id, messageId: Id, body: Text }),
  command('deleteMessage', { roomId: Id, messageId: Id }),
]);

export const ROOM_COMMANDS_RPC: RpcMethods<RoomCommands> = {
  execute: Type.Tuple([RoomCommandSchema]),
  executeMany: Type.Tuple([Type.Array(RoomCommandSchema, { maxItems: 1000 })]),
};

export const ROOM_QUERIES_RPC: RpcMethods<RoomQueries> = {
  roleOf: Type.Tuple([Id, Id]),
  room: Type.Tuple([Id, Id]),
  roomsOf: Type.Tuple([Id, Type.Object({ limit: Limit, before: Type.Optional(Type.Object({ activityAt: Type.Integer({ minimum: 0 }), roomId: Id })) })]),
  members: Type.Tuple([Id, Id]),
  messages: Type.Tuple([Id, Id, Type.Object({ before: Type.Optional(Seq), after: Type.Optional(Seq), limit: Limit })]),
  events: Type.Tuple([Id, Id, Seq, Limit]),
  eventsAfter: Type.Tuple([Id, Seq, Limit]),
  membershipChanges: Type.Tuple([Id, Id, Seq, Seq]),
  markRead: Type.Tuple([Id, Id, Seq]),
  coMembersOf: Type.Tuple([Id]),
  roomIdsOf: Type.Tuple([Id]),
  lastSeq: Type.Tuple([Id]),
};
