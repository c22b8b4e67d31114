import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import { ValidationError } from '@chat/shared/kernel/errors';
import type { RoomCommands, RoomCommandResult } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { CreateRoomBody, RenameRoomBody } from './rooms.schemas';
import { unknownUserIds } from './user.repository';

export interface RoomsRoutesDeps {
  db: Db;
  commands: RoomCommands;
  queries: RoomQueries;
}

type Params = { roomId: string };

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

export async function roomsRoutes(app: FastifyInstance, d: RoomsRoutesDeps): Promise<void> {
  app.post('/v1/rooms', { schema: { body: CreateRoomBody } }, async (request, reply) => {
    const body = request.body as CreateRoomBody;
    const memberIds = [...new Set((body.memberIds ?? []).map((id) => id.toLowerCase()))].filter((id) => id !== request.userId);
    let name: string | null = null;
    if (body.type === 'group') name = roomName(body.name);
    else if (memberIds.length !== 1) throw new ValidationError('a direct room takes exactly one other user in memberIds', 'memberIds');
    const unknown = await unknownUserIds(d.db.kysely, memberIds);
    if (unknown.length > 0) throw new ValidationError(`memberIds names unknown users: ${unknown.join(', ')}`, 'memberIds');
    const result = roomOf(await d.commands.execute({ type: 'createRoom', actorId: request.userId, roomType: body.type, name, memberIds }));
    return reply.status(result.created ? 201 : 200).send({ room: result.room });
  });

  app.get('/v1/rooms', async (request) => ({ rooms: await d.queries.roomsOf(request.userId) }));

  app.get('/v1/rooms/:roomId', async (request) => {
    const { roomId } = request.params as Params;
    return { room: await d.queries.room(roomId, request.userId) };
  });

  app.patch('/v1/rooms/:roomId', { schema: { body: RenameRoomBody } }, async (request) => {
    const { roomId } = request.params as Params;
    const name = roomName((request.body as RenameRoomBody).name);
    await d.queries.room(roomId, request.userId);
    return { room: roomOf(await d.commands.execute({ type: 'renameRoom', actorId: request.userId, roomId, name })).room };
  });

  app.delete('/v1/rooms/:roomId', async (request, reply) => {
    const { roomId } = request.params as Params;
    await d.queries.room(roomId, request.userId);
    await d.commands.execute({ type: 'deleteRoom', actorId: request.userId, roomId });
    return reply.status(204).send();
  });
}
