import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '@chat/shared/kernel/errors';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { search } from '@chat/shared/contract/http/messages';
import { codePointLength } from '@chat/shared/kernel/text';
import type { MessageView } from '@chat/shared/events/timeline-events';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { SearchQuery } from './db-message-search';

export interface SearchRoutesDeps {
  queries: RoomQueries;
  search: (query: SearchQuery) => Promise<MessageView[]>;
}

export async function searchRoutes(app: FastifyInstance, d: SearchRoutesDeps): Promise<void> {
  serveContractRoute(app, search, async (request) => {
    const { q, roomId, limit = 20 } = request.query;
    if (q.trim() === '' || codePointLength(q) > 200) throw new ValidationError('q must be 1–200 characters', 'q');
    if (roomId !== undefined && !(await d.queries.roleOf(roomId, request.userId))) throw new NotFoundError('room');
    return { hits: (await d.search({ userId: request.userId, q, roomId, limit })).map((message) => ({ message })) };
  });
}
