import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '@chat/shared/kernel/errors';
import { queryInt, queryString } from '@chat/shared/http/request-parsing';
import { codePointLength } from '@chat/shared/kernel/text';
import type { MessageView } from '@chat/shared/events/timeline-events';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { SearchQuery } from './db-message-search';

export interface SearchRoutesDeps {
  queries: RoomQueries;
  search: (query: SearchQuery) => Promise<MessageView[]>;
}

export async function searchRoutes(app: FastifyInstance, d: SearchRoutesDeps): Promise<void> {
  app.get('/v1/search', async (request) => {
    const query = request.query as Record<string, unknown>;
    const q = queryString(query.q, 'q');
    if (q === undefined || q.trim() === '' || codePointLength(q) > 200) throw new ValidationError('q must be 1–200 characters', 'q');
    const roomId = queryString(query.roomId, 'roomId');
    const limit = queryInt(query.limit, 'limit', 1, 50, 20)!;
    if (roomId !== undefined && !(await d.queries.roleOf(roomId, request.userId))) throw new NotFoundError('room');
    return { hits: (await d.search({ userId: request.userId, q, roomId, limit })).map((message) => ({ message })) };
  });
}
