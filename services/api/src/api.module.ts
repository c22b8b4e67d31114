import type { FastifyInstance } from 'fastify';
import type { AccessTokens } from '@chat/shared/auth/access-token';
import type { Db } from '@chat/shared/db/database';
import type { OutboxRelay } from '@chat/shared/events/outbox-relay';
import type { Clock, IdGenerator } from '@chat/shared/kernel/ids';
import type { Presence } from '@chat/shared/ports/presence';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { BucketRule, RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
import { authRoutes } from './auth.routes';
import { AuthService } from './auth.service';
import { membersRoutes } from './members.routes';
import { roomsRoutes } from './rooms.routes';
import { usersRoutes } from './users.routes';

export interface ApiDeps {
  db: Db;
  relay: OutboxRelay;
  tokens: AccessTokens;
  refreshTtlSeconds: number;
  passwordHashLogN?: number;
  commands: RoomCommands;
  queries: RoomQueries;
  presence: Presence;
  limiter: RateLimiter;
  authRule: BucketRule;
  newId: IdGenerator;
  clock: Clock;
}

/** The edge: auth, users, rooms and members; room writes become commands for the room writer. */
export async function registerApi(app: FastifyInstance, d: ApiDeps): Promise<void> {
  const auth = new AuthService({ db: d.db, relay: d.relay, tokens: d.tokens, refreshTtlSeconds: d.refreshTtlSeconds, passwordHashLogN: d.passwordHashLogN, newId: d.newId, clock: d.clock });
  await authRoutes(app, { auth, limiter: d.limiter, authRule: d.authRule });
  await usersRoutes(app, { db: d.db });
  await roomsRoutes(app, { db: d.db, commands: d.commands, queries: d.queries });
  await membersRoutes(app, { db: d.db, commands: d.commands, queries: d.queries, presence: d.presence });
}
