import type { Db } from '@chat/shared/db/database';
import { isUniqueViolation } from '@chat/shared/db/database';
import { AccessTokens } from '@chat/shared/auth/access-token';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '@chat/shared/auth/password';
import { hashRefreshToken, judgeRefreshToken, newRefreshToken } from '@chat/shared/auth/refresh-token';
import type { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { ConflictError, UnauthenticatedError } from '@chat/shared/kernel/errors';
import type { Clock, IdGenerator } from '@chat/shared/kernel/ids';
import type { UserView } from '@chat/shared/events/timeline-events';
import { findRefreshToken, insertRefreshToken, markUsed, revokeFamily } from './refresh-token.repository';
import { findUserByName, userView } from './user.repository';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface AuthServiceDeps {
  db: Db;
  relay: OutboxRelay;
  tokens: AccessTokens;
  refreshTtlSeconds: number;
  passwordHashLogN?: number;
  newId: IdGenerator;
  clock: Clock;
}

/** Registration, login and the refresh-token rotation with reuse detection. */
export class AuthService {
  constructor(private readonly d: AuthServiceDeps) {}

  private async issue(userId: string, familyId: string): Promise<TokenPair> {
    const now = this.d.clock().getTime();
    const { token, hash } = newRefreshToken();
    await insertRefreshToken(this.d.db.kysely, { id: this.d.newId(), family_id: familyId, user_id: userId, token_hash: hash, created_at: now, expires_at: now + this.d.refreshTtlSeconds * 1000, used_at: null, revoked_at: null });
    return { accessToken: await this.d.tokens.issue(userId), refreshToken: token, expiresIn: this.d.tokens.ttlSeconds };
  }

  async register(username: string, password: string, displayName: string): Promise<{ user: UserView } & TokenPair> {
    const row = { id: this.d.newId(), username: username.toLowerCase(), display_name: displayName, password_hash: await hashPassword(password, this.d.passwordHashLogN), created_at: this.d.clock().getTime() };
    const user = userView(row);
    const event = { id: this.d.newId(), type: 'user.registered', version: 1, key: user.id, occurredAt: user.createdAt, payload: { user } };
    try {
      const outboxId = await this.d.db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(row).execute();
        const r = await trx.insertInto('outbox').values({ event: JSON.stringify([event]), created_at: row.created_at }).executeTakeFirst();
        return Number(r.insertId);
      });
      await this.d.relay.publishCommitted(outboxId, [event]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('username is taken');
      throw err;
    }
    return { user, ...(await this.issue(user.id, this.d.newId())) };
  }

  async login(username: string, password: string): Promise<{ user: UserView } & TokenPair> {
    const row = await findUserByName(this.d.db.kysely, username);
    const ok = row ? await verifyPassword(password, row.password_hash) : await verifyAgainstDummy(password);
    if (!row || !ok) throw new UnauthenticatedError('wrong username or password');
    return { user: userView(row), ...(await this.issue(row.id, this.d.newId())) };
  }

  /** Rotation: the presented token is spent; presenting a spent one revokes the whole login. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const now = this.d.clock().getTime();
    const row = await findRefreshToken(this.d.db.kysely, hashRefreshToken(refreshToken));
    if (!row) throw new UnauthenticatedError('invalid refresh token');
    const verdict = judgeRefreshToken(row, now);
    if (verdict === 'reused') await revokeFamily(this.d.db.kysely, row.family_id, now);
    if (verdict !== 'valid') throw new UnauthenticatedError(verdict === 'reused' ? 'refresh token reuse detected; the login is revoked' : `refresh token ${verdict}`);
    if (!(await markUsed(this.d.db.kysely, row.id, now))) {
      await revokeFamily(this.d.db.kysely, row.family_id, now);
      throw new UnauthenticatedError('refresh token reuse detected; the login is revoked');
    }
    return this.issue(row.user_id, row.family_id);
  }

  async logout(refreshToken: string): Promise<void> {
    const row = await findRefreshToken(this.d.db.kysely, hashRefreshToken(refreshToken));
    if (row) await revokeFamily(this.d.db.kysely, row.family_id, this.d.clock().getTime());
  }
}
