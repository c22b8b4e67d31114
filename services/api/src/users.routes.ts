import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import { NotFoundError } from '@chat/shared/kernel/errors';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { me, userById, userByName } from '@chat/shared/contract/http/auth';
import { findUserById, findUserByName, userView } from './user.repository';

export async function usersRoutes(app: FastifyInstance, d: { db: Db }): Promise<void> {
  serveContractRoute(app, me, async (request) => {
    const row = await findUserById(d.db.kysely, request.userId);
    if (!row) throw new NotFoundError('user');
    return { user: userView(row) };
  });

  serveContractRoute(app, userById, async (request) => {
    const { userId } = request.params;
    const row = userId.length <= 36 ? await findUserById(d.db.kysely, userId) : undefined;
    if (!row) throw new NotFoundError('user');
    return { user: userView(row) };
  });

  serveContractRoute(app, userByName, async (request) => {
    const { username } = request.query;
    const row = username.length <= 32 ? await findUserByName(d.db.kysely, username) : undefined;
    if (!row) throw new NotFoundError('user');
    return { user: userView(row) };
  });
}
