import type { FastifyInstance } from 'fastify';
import { chatModule, RATE_LIMITS } from '@chat/shared/http/module-plugin';
import type { AccessTokens } from '@chat/shared/auth/access-token';
import { LoginFailureLimit } from '@chat/shared/auth/login-failures';
import { PasswordHashGate } from '@chat/shared/auth/password-hash-gate';
import type { Db } from '@chat/shared/db/database';
import type { OutboxRelay } from '@chat/shared/events/outbox-relay';
import type { AuthLimits } from '@chat/shared/kernel/config';
import type { Clock, IdGenerator } from '@chat/shared/kernel/ids';
import type { Presence } from '@chat/shared/ports/presence';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { RateLimiter } from '@chat/shared/rate-limit/rate-limiter';
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
  /** Password-hashing capacity, failed logins per username, refresh reuse grace (config.auth). */
  auth: AuthLimits;
  commands: RoomCommands;
  queries: RoomQueries;
  presence: Presence;
  /** For failed logins per username. The HTTP rate limits of these routes are declared in their RouteSpec and applied by registerRateLimits. */
  limiter: RateLimiter;
  newId: IdGenerator;
  clock: Clock;
}

/** The edge as a plugin: needs the HTTP shell and the rate limits (auth, room and member buckets). */
export const apiModule = chatModule<ApiDeps>('chat-api', [RATE_LIMITS], registerApi);

/** The edge: auth, users, rooms and members; room writes become commands for the room writer. */
async function registerApi(app: FastifyInstance, d: ApiDeps): Promise<void> {
  const a = d.auth;
  const auth = new AuthService({
    db: d.db, relay: d.relay, tokens: d.tokens, refreshTtlSeconds: d.refreshTtlSeconds, passwordHashLogN: d.passwordHashLogN, newId: d.newId, clock: d.clock,
    hashGate: new PasswordHashGate({ concurrency: a.hashConcurrency, queue: a.hashQueue, perAddress: a.hashPerAddress }),
    loginFailures: a.loginFailuresPerUsername > 0 ? new LoginFailureLimit(d.limiter, { failures: a.loginFailuresPerUsername, windowSeconds: a.loginFailureWindowSeconds }) : undefined,
    refreshReuseGraceSeconds: a.refreshReuseGraceSeconds,
    refreshReuseGraceReissues: a.refreshReuseGraceReissues,
  });
  await authRoutes(app, { auth });
  await usersRoutes(app, { db: d.db });
  await roomsRoutes(app, { db: d.db, commands: d.commands, queries: d.queries });
  await membersRoutes(app, { db: d.db, commands: d.commands, queries: d.queries, presence: d.presence });
}
