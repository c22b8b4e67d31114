import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import { NotFoundError, ValidationError } from '@chat/shared/kernel/errors';
import { queryString } from '@chat/shared/http/request-parsing';
import { findUserById, findUserByName, userView } from './user.repository';

export async function usersRoutes(app: FastifyInstance, d: { db: Db }): Promise<void> {
  app.get('/v1/users/me', async (request) => {
    const row = await findUserById(d.db.kysely, request.userId);
    if (!row) throw new NotFoundError('user');
    return { user: userView(row) };
  });

  app.get('/v1/users/:userId', async (request) => {
    const { userId } = request.params as { userId: string };
    const row = userId.length <= 36 ? await findUserById(d.db.kysely, userId) : undefined;
    if (!row) throw new NotFoundError('user');
    return { user: userView(row) };
  });

  app.get('/v1/users', async (request) => {
    const username = queryString((request.query as Record<string, unknown>).username, 'username');
    if (username === undefined) throw new ValidationError('username is required', 'username');
    const row = username.length <= 32 ? await findUserByName(d.db.kysely, username) : undefined;
    if (!row) throw new NotFoundError('user');
    return { user: userView(row) };
  });
}
