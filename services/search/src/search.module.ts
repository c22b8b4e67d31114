import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { searchMessages } from './db-message-search';
import { searchRoutes } from './search.routes';

/** Phase 1 search: DB-based, Korean-aware substring matching (docs/adr/0002). */
export async function registerDbSearch(app: FastifyInstance, d: { db: Db; queries: RoomQueries }): Promise<void> {
  await searchRoutes(app, { queries: d.queries, search: (q) => searchMessages(d.db, q) });
}
