import type { Db } from '@chat/shared/db/database';
import { isUniqueViolation } from '@chat/shared/db/database';
import { AccessTokens } from '@chat/shared/auth/access-token';
import type { LoginFailureLimit } from '@chat/shared/auth/login-failures';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '@chat/shared/auth/password';
import { PasswordHashGate } from '@chat/shared/auth/password-hash-gate';
import { graceTokenId, hashRefreshToken, judgeRefreshToken, newRefreshToken } from '@chat/shared/auth/refresh-token';
import type { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { ConflictError, UnauthenticatedError } from '@chat/shared/kernel/errors';
import type { Clock, IdGenerator } from '@chat/shared/kernel/ids';
import type { UserView } from '@chat/shared/events/timeline-events';
import { familyUsedSince, findRefreshToken, insertRefreshToken, markUsed, revokeFamily } from './refresh-token.repository';
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
  /** Bounds password hashing (capacity, per-address share); unbounded when omitted. */
  hashGate?: PasswordHashGate;
  /** Failed logins per username; none when omitted. */
  loginFailures?: LoginFailureLimit;
  /** A used refresh token presented again within this window gets a fresh pair of its login (0, the default: never). */
  refreshReuseGraceSeconds?: number;
  /** How many such pairs one used token may get (default 1). */
  refreshReuseGraceReissues?: number;
  newId: IdGenerator;
  clock: Clock;
}

/** Where a request comes from, for the per-address share of password hashing. */
const UNKNOWN_ADDRESS = 'unknown';

/** Registration, login and the refresh-token rotation with reuse detection. */
export class AuthService {
  private readonly hashGate: PasswordHashGate;

  constructor(private readonly d: AuthServiceDeps) {
    this.hashGate = d.hashGate ?? new PasswordHashGate({ concurrency: Number.MAX_SAFE_INTEGER, queue: 0, perAddress: 0 });
  }

  private async issue(userId: string, familyId: string, id = this.d.newId()): Promise<TokenPair> {
    const now = this.d.clock().getTime();
    const { token, hash } = newRefreshToken();
    await insertRefreshToken(this.d.db.kysely, { id, family_id: familyId, user_id: userId, token_hash: hash, created_at: now, expires_at: now + this.d.refreshTtlSeconds * 1000, used_at: null, revoked_at: null });
    return { accessToken: await this.d.tokens.issue(userId), refreshToken: token, expiresIn: this.d.tokens.ttlSeconds };
  }

  async register(username: string, password: string, displayName: string, address = UNKNOWN_ADDRESS): Promise<{ user: UserView } & TokenPair> {
    const passwordHash = await this.hashGate.run(address, () => hashPassword(password, this.d.passwordHashLogN));
    const row = { id: this.d.newId(), username: username.toLowerCase(), display_name: displayName, password_hash: passwordHash, created_at: this.d.clock().getTime() };
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

  /**
   * A username whose failed logins used up its allowance is refused (429)
   * before anything is looked up or hashed; the hash itself waits for a slot
   * of the gate (503 when the gate is full).
   */
  async login(username: string, password: string, address = UNKNOWN_ADDRESS): Promise<{ user: UserView } & TokenPair> {
    await this.d.loginFailures?.admit(username);
    const row = await findUserByName(this.d.db.kysely, username);
    const ok = await this.hashGate.run(address, () => (row ? verifyPassword(password, row.password_hash) : verifyAgainstDummy(password, this.d.passwordHashLogN)));
    if (!row || !ok) throw new UnauthenticatedError('wrong username or password');
    await this.d.loginFailures?.succeeded(username);
    return { user: userView(row), ...(await this.issue(row.id, this.d.newId())) };
  }

  /**
   * Rotation: the presented token is spent; presenting a spent one revokes
   * the whole login. Two requests racing with one unused token are the same
   * case: the one that marks it used wins, the other is a presentation of a
   * spent token. With a reuse grace window configured (off by default), a
   * spent token presented again soon after its use, while the login has not
   * moved on, gets a fresh pair of the same login, a bounded number of times.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const now = this.d.clock().getTime();
    const hash = hashRefreshToken(refreshToken);
    let row = await findRefreshToken(this.d.db.kysely, hash);
    if (!row) throw new UnauthenticatedError('invalid refresh token');
    const graceMs = (this.d.refreshReuseGraceSeconds ?? 0) * 1000;
    let verdict = judgeRefreshToken(row, now, graceMs);
    if (verdict === 'valid') {
      if (await markUsed(this.d.db.kysely, row.id, now)) return this.issue(row.user_id, row.family_id);
      // Another request spent it first: judge this one as a presentation of a spent token.
      row = await findRefreshToken(this.d.db.kysely, hash);
      if (!row) throw new UnauthenticatedError('invalid refresh token');
      verdict = judgeRefreshToken(row, now, graceMs);
      if (verdict === 'valid') verdict = 'reused'; // revoked between the update and the read, or a clock step
    }
    if (verdict === 'reused-in-grace') {
      const pair = await this.reissueInGrace(row);
      if (pair) return pair;
      verdict = 'reused';
    }
    if (verdict === 'reused') await revokeFamily(this.d.db.kysely, row.family_id, now);
    throw new UnauthenticatedError(verdict === 'reused' ? 'refresh token reuse detected; the login is revoked' : `refresh token ${verdict}`);
  }

  /**
   * A fresh pair of the spent token's login, if no token issued since its use
   * has been used (the login has not moved on: this is a concurrent
   * presentation, such as two tabs refreshing at once) and one of its
   * `refreshReuseGraceReissues` pairs is still free. The pair's row id is
   * derived from the spent token's id, so claiming it is atomic.
   */
  private async reissueInGrace(row: { id: string; family_id: string; user_id: string; used_at: number | null }): Promise<TokenPair | undefined> {
    if (row.used_at === null || (await familyUsedSince(this.d.db.kysely, row.family_id, row.used_at))) return undefined;
    const reissues = this.d.refreshReuseGraceReissues ?? 1;
    for (let k = 1; k <= reissues; k++) {
      try {
        return await this.issue(row.user_id, row.family_id, graceTokenId(row.id, k));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    return undefined;
  }

  async logout(refreshToken: string): Promise<void> {
    const row = await findRefreshToken(this.d.db.kysely, hashRefreshToken(refreshToken));
    if (row) await revokeFamily(this.d.db.kysely, row.family_id, this.d.clock().getTime());
  }
}
