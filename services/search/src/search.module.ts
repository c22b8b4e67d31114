import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { searchMessages } from './db-message-search';
import { chatModule } from '@chat/shared/http/module-plugin';
import { searchRoutes, type SearchRoutesDeps } from './search.routes';

/** GET /v1/search as a plugin over a search backend: the database (Phase 1) or Elasticsearch (Phase 3). */
export const searchModule = chatModule<SearchRoutesDeps>('chat-search', [], searchRoutes);

/** Phase 1 search: DB-based, Korean-aware substring matching (docs/adr/0002). */
export async function registerDbSearch(app: FastifyInstance, d: { db: Db; queries: RoomQueries }): Promise<void> {
  await app.register(searchModule, { queries: d.queries, search: (q) => searchMessages(d.db, q) });
}
