import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import { NotFoundError, ValidationError } from '@chat/shared/kernel/errors';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { Presence } from '@chat/shared/ports/presence';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { addMember, changeRole, listMembers, presence, removeMember } from '@chat/shared/contract/http/rooms';
import { unknownUserIds } from './user.repository';

export interface MembersRoutesDeps {
  db: Db;
  commands: RoomCommands;
  queries: RoomQueries;
  presence: Presence;
}

export async function membersRoutes(app: FastifyInstance, d: MembersRoutesDeps): Promise<void> {
  serveContractRoute(app, listMembers, async (request) => {
    const { roomId } = request.params;
    return { members: await d.queries.members(roomId, request.userId) };
  });

  // Takes from the adder's member bucket (RouteSpec.rateLimit 'member'); adding someone already in the room counts too.
  serveContractRoute(app, addMember, async (request, reply) => {
    const { roomId } = request.params;
    const userId = request.body.userId.toLowerCase();
    if ((await unknownUserIds(d.db.kysely, [userId])).length > 0) {
      await d.queries.room(roomId, request.userId);
      throw new ValidationError('userId names no user', 'userId');
    }
    const result = await d.commands.execute({ type: 'addMember', actorId: request.userId, roomId, userId });
    if (result.type !== 'member') throw new Error('expected a member');
    return reply.status(result.created ? 201 : 200).send({ member: result.member });
  });

  serveContractRoute(app, changeRole, async (request) => {
    const { roomId, userId } = request.params;
    const result = await d.commands.execute({ type: 'changeRole', actorId: request.userId, roomId, userId, role: request.body.role });
    if (result.type !== 'member') throw new NotFoundError('member');
    return { member: result.member };
  });

  serveContractRoute(app, removeMember, async (request, reply) => {
    const { roomId, userId } = request.params;
    await d.commands.execute({ type: 'removeMember', actorId: request.userId, roomId, userId });
    return reply.status(204).send(null);
  });

  serveContractRoute(app, presence, async (request) => {
    const { roomId } = request.params;
    const members = await d.queries.members(roomId, request.userId);
    return { online: await d.presence.onlineAmong(members.map((m) => m.userId)) };
  });
}

