import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import { ValidationError } from '@chat/shared/kernel/errors';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { createRoom, deleteRoom, getRoom, listRooms, renameRoom } from '@chat/shared/contract/http/rooms';
import type { RoomCommands, RoomCommandResult } from '@chat/shared/ports/room-commands';
import type { RoomListCursor, RoomQueries } from '@chat/shared/ports/room-queries';
import { unknownUserIds } from './user.repository';

export interface RoomsRoutesDeps {
  db: Db;
  commands: RoomCommands;
  queries: RoomQueries;
}

/** GET /v1/rooms answers at most this many rooms per page, and this many when no limit is given. */
export const ROOMS_PAGE_MAX = 500;

/** The opaque `before` cursor of GET /v1/rooms: base64url of "<activity ms>.<room id>". */
export function encodeRoomCursor(c: RoomListCursor): string {
  return Buffer.from(`${c.activityAt}.${c.roomId}`, 'utf8').toString('base64url');
}

export function decodeRoomCursor(raw: string): RoomListCursor {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  const m = /^(\d{1,15})\.([0-9A-Za-z-]{1,64})$/.exec(text);
  if (!m || encodeRoomCursor({ activityAt: Number(m[1]), roomId: m[2]! }) !== raw) throw new ValidationError('before must be a nextCursor from an earlier GET /v1/rooms', 'before');
  return { activityAt: Number(m[1]), roomId: m[2]! };
}

function roomOf(r: RoomCommandResult) {
  if (r.type !== 'room') throw new Error(`expected a room, got ${r.type}`);
  return r;
}

/** A room name: trimmed of outer whitespace, 1–100 characters, NFC. */
function roomName(raw: string | null | undefined): string {
  const name = (raw ?? '').normalize('NFC').trim();
  if (name.length === 0) throw new ValidationError('name is required for a group (1–100 characters)', 'name');
  if ([...name].length > 100) throw new ValidationError('name must be at most 100 characters', 'name');
  return name;
}

/** The room a POST /v1/rooms body asks for, checked from the body alone: other members (deduplicated, lower case) and a group's name. */
function roomToCreate(body: { type: 'group' | 'direct'; name?: string | null; memberIds?: string[] }, creatorId: string): { memberIds: string[]; name: string | null } {
  const memberIds = [...new Set((body.memberIds ?? []).map((id) => id.toLowerCase()))].filter((id) => id !== creatorId);
  if (body.type === 'group') return { memberIds, name: roomName(body.name) };
  if (memberIds.length !== 1) throw new ValidationError('a direct room takes exactly one other user in memberIds', 'memberIds');
  return { memberIds, name: null };
}

export async function roomsRoutes(app: FastifyInstance, d: RoomsRoutesDeps): Promise<void> {
  // The room bucket (RouteSpec.rateLimit 'room') is taken after the checks of the body alone (preHandler),
  // before any read: a malformed body takes no token, a refused request costs one bucket look-up.
  serveContractRoute(app, createRoom, async (request, reply) => {
    const body = request.body;
    const { memberIds, name } = roomToCreate(body, request.userId);
    const unknown = await unknownUserIds(d.db.kysely, memberIds);
    if (unknown.length > 0) throw new ValidationError(`memberIds names unknown users: ${unknown.join(', ')}`, 'memberIds');
    const result = roomOf(await d.commands.execute({ type: 'createRoom', actorId: request.userId, roomType: body.type, name, memberIds }));
    return reply.status(result.created ? 201 : 200).send({ room: result.room });
  }, { preHandler: (request) => void roomToCreate(request.body, request.userId) });

  serveContractRoute(app, listRooms, async (request) => {
    const limit = request.query.limit ?? ROOMS_PAGE_MAX;
    const before = request.query.before === undefined ? undefined : decodeRoomCursor(request.query.before);
    const page = await d.queries.roomsOf(request.userId, { limit, before });
    return { rooms: page.items, hasMore: page.hasMore, nextCursor: page.next ? encodeRoomCursor(page.next) : null };
  });

  serveContractRoute(app, getRoom, async (request) => {
    const { roomId } = request.params;
    return { room: await d.queries.room(roomId, request.userId) };
  });

  serveContractRoute(app, renameRoom, async (request) => {
    const { roomId } = request.params;
    const name = roomName(request.body.name);
    await d.queries.room(roomId, request.userId);
    return { room: roomOf(await d.commands.execute({ type: 'renameRoom', actorId: request.userId, roomId, name })).room };
  });

  serveContractRoute(app, deleteRoom, async (request, reply) => {
    const { roomId } = request.params;
    await d.queries.room(roomId, request.userId);
    await d.commands.execute({ type: 'deleteRoom', actorId: request.userId, roomId });
    return reply.status(204).send(null);
  });
}
