import { Type } from '@sinclair/typebox';
import { ErrorBody, ListedRoom, Member, Room, StringEnum } from '../objects';
import { defineRoute, NoContent, NOT_BLANK, PathId, privateErrors, roomErrors } from './route-spec';

const UserId = Type.String({ minLength: 1, maxLength: 36, pattern: '^[0-9a-fA-F-]{36}$' });
const RoomParams = Type.Object({ roomId: PathId });
const MemberParams = Type.Object({ roomId: PathId, userId: PathId });
const tags = ['rooms'];
const roomIdFromBody = { roomId: '$response.body#/room/id' };

export const createRoom = defineRoute({
  method: 'POST',
  url: '/v1/rooms',
  rateLimit: 'room',
  schema: {
    operationId: 'createRoom',
    summary: 'Create a group room, or open the direct room with one user',
    description: 'A group needs a name and takes up to 100 memberIds. A direct room takes exactly one other user; asking again for the same pair answers 200 with the existing room.',
    tags,
    body: Type.Object(
      {
        type: StringEnum(['group', 'direct']),
        name: Type.Optional(NullableName()),
        memberIds: Type.Optional(Type.Array(UserId, { maxItems: 100 })),
      },
      {
        examples: [{ type: 'group', name: 'backend' }],
        // API.md: a group needs a name (1–100 characters, not blank); a direct room takes one other user in memberIds.
        allOf: [
          { if: { required: ['type'], properties: { type: { const: 'group' } } }, then: { required: ['name'], properties: { name: { type: 'string', minLength: 1, pattern: NOT_BLANK } } } },
          { if: { required: ['type'], properties: { type: { const: 'direct' } } }, then: { required: ['memberIds'], properties: { memberIds: { type: 'array', minItems: 1 } } } },
        ],
      },
    ),
    response: { 201: Type.Object({ room: Room }), 200: Type.Object({ room: Room }), ...privateErrors },
  },
  links: {
    201: {
      PostMessage: { operationId: 'postMessage', parameters: roomIdFromBody },
      GetRoom: { operationId: 'getRoom', parameters: roomIdFromBody },
      ListMessages: { operationId: 'listMessages', parameters: roomIdFromBody },
      ListEvents: { operationId: 'listEvents', parameters: roomIdFromBody },
      ListMembers: { operationId: 'listMembers', parameters: roomIdFromBody },
      RenameRoom: { operationId: 'renameRoom', parameters: roomIdFromBody },
      MarkRead: { operationId: 'markRead', parameters: roomIdFromBody },
      Presence: { operationId: 'getPresence', parameters: roomIdFromBody },
      AddMember: { operationId: 'addMember', parameters: roomIdFromBody },
      Leave: { operationId: 'removeMember', parameters: { ...roomIdFromBody, userId: '$response.body#/room/createdBy' } },
      DeleteRoom: { operationId: 'deleteRoom', parameters: roomIdFromBody },
    },
  },
});

function NullableName() {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 100, description: '1–100 characters after trimming; required for a group' });
}

export const listRooms = defineRoute({
  method: 'GET',
  url: '/v1/rooms',
  schema: {
    operationId: 'listRooms',
    summary: "The caller's rooms, newest activity first, one page",
    tags,
    querystring: Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 500 })),
      before: Type.Optional(Type.String({ description: 'nextCursor from an earlier page' })),
    }),
    response: { 200: Type.Object({ rooms: Type.Array(ListedRoom), hasMore: Type.Boolean(), nextCursor: Type.Unsafe<string | null>({ type: ['string', 'null'] }) }), ...privateErrors },
  },
});

export const getRoom = defineRoute({
  method: 'GET',
  url: '/v1/rooms/:roomId',
  schema: { operationId: 'getRoom', summary: 'A room the caller is a member of', tags, params: RoomParams, response: { 200: Type.Object({ room: Room }), ...roomErrors } },
});

export const renameRoom = defineRoute({
  method: 'PATCH',
  url: '/v1/rooms/:roomId',
  schema: {
    operationId: 'renameRoom',
    summary: 'Rename a group room (owner or admin)',
    tags,
    params: RoomParams,
    body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, pattern: NOT_BLANK, description: '1–100 characters after trimming' }) }, { examples: [{ name: 'backend-oncall' }] }),
    response: { 200: Type.Object({ room: Room }), ...roomErrors, 403: ErrorBody },
  },
});

export const deleteRoom = defineRoute({
  method: 'DELETE',
  url: '/v1/rooms/:roomId',
  schema: { operationId: 'deleteRoom', summary: 'Delete a group room (owner only)', tags, params: RoomParams, response: { 204: NoContent, ...roomErrors, 403: ErrorBody } },
});

export const listMembers = defineRoute({
  method: 'GET',
  url: '/v1/rooms/:roomId/members',
  schema: { operationId: 'listMembers', summary: "A room's members", tags: ['members'], params: RoomParams, response: { 200: Type.Object({ members: Type.Array(Member) }), ...roomErrors } },
});

export const addMember = defineRoute({
  method: 'POST',
  url: '/v1/rooms/:roomId/members',
  rateLimit: 'member',
  schema: {
    operationId: 'addMember',
    summary: 'Add a user to a group room (owner or admin); 200 if already a member',
    tags: ['members'],
    params: RoomParams,
    body: Type.Object({ userId: UserId }, { examples: [{ userId: '0190a5f4-7b1c-7cc0-8a2e-3f1d2c4b5a61' }] }),
    response: { 201: Type.Object({ member: Member }), 200: Type.Object({ member: Member }), ...roomErrors, 403: ErrorBody },
  },
});

export const changeRole = defineRoute({
  method: 'PATCH',
  url: '/v1/rooms/:roomId/members/:userId',
  schema: {
    operationId: 'changeRole',
    summary: "Change a member's role (owner only)",
    tags: ['members'],
    params: MemberParams,
    body: Type.Object({ role: StringEnum(['admin', 'member']) }, { examples: [{ role: 'admin' }] }),
    response: { 200: Type.Object({ member: Member }), ...roomErrors, 403: ErrorBody },
  },
});

export const removeMember = defineRoute({
  method: 'DELETE',
  url: '/v1/rooms/:roomId/members/:userId',
  schema: {
    operationId: 'removeMember',
    summary: 'Leave a room, or remove a member (owner or admin)',
    description: 'The owner cannot leave a group that has other members: 409.',
    tags: ['members'],
    params: MemberParams,
    response: { 204: NoContent, ...roomErrors, 403: ErrorBody, 409: ErrorBody },
  },
});

export const presence = defineRoute({
  method: 'GET',
  url: '/v1/rooms/:roomId/presence',
  schema: { operationId: 'getPresence', summary: 'Members with an open socket now', tags: ['members'], params: RoomParams, response: { 200: Type.Object({ online: Type.Array(Type.String()) }), ...roomErrors } },
});
