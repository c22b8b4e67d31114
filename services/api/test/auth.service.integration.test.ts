import t from 'tap';
import { randomBytes } from 'node:crypto';
import { AccessTokens } from '@chat/shared/auth/access-token';
import { hashRefreshToken } from '@chat/shared/auth/refresh-token';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import { AuthService } from '../src/auth.service';
import { findUserByName, unknownUserIds } from '../src/user.repository';

for (const engine of testDatabases()) {
  t.test(`users and refresh tokens on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());
    const bus = new InMemoryEventBus();
    const seen: EventEnvelope[] = [];
    await bus.subscribe({ group: 't', topics: ['user'], handler: async (e) => void seen.push(e) });
    const tokens = new AccessTokens({ secret: randomBytes(32).toString('hex'), issuer: 'i', audience: 'a', accessTtlSeconds: 60 });
    const auth = new AuthService({ db, relay: new OutboxRelay(db.kysely, bus, { warn: () => undefined }), tokens, refreshTtlSeconds: 3600, passwordHashLogN: 12, newId, clock: systemClock });
    const name = `U_${randomBytes(4).toString('hex')}`;

    const reg = await auth.register(name, 'password-1', 'Display');
    t.equal(reg.user.username, name.toLowerCase(), 'stored lower-case');
    await new Promise((r) => setTimeout(r, 20));
    t.equal(seen.filter((e) => e.type === 'user.registered' && (e.payload as { user: { id: string } }).user.id === reg.user.id).length, 1, 'user.registered reached the bus');
    await t.rejects(auth.register(name.toUpperCase(), 'password-2', 'x'), { code: 'CONFLICT' }, 'a taken name in another case is 409');
    t.equal((await findUserByName(db.kysely, name.toUpperCase()))?.id, reg.user.id, 'lookup is case-insensitive');
    t.same(await unknownUserIds(db.kysely, [reg.user.id, 'nobody']), ['nobody']);

    await t.rejects(auth.login(name, 'wrong-password'), { code: 'UNAUTHENTICATED' });
    await t.rejects(auth.login('no_such_user', 'password-1'), { code: 'UNAUTHENTICATED' });
    const login = await auth.login(name, 'password-1');
    t.equal((await tokens.verify(login.accessToken)).userId, reg.user.id);

    const next = await auth.refresh(login.refreshToken);
    t.not(next.refreshToken, login.refreshToken, 'rotated');
    await t.rejects(auth.refresh(login.refreshToken), { code: 'UNAUTHENTICATED' }, 'the used token is refused');
    await t.rejects(auth.refresh(next.refreshToken), { code: 'UNAUTHENTICATED' }, 'and its reuse revoked the whole login');
    const other = await auth.refresh(reg.refreshToken);
    t.ok(other.accessToken, 'another login of the same user is untouched');
    await auth.logout(other.refreshToken);
    await t.rejects(auth.refresh(other.refreshToken), { code: 'UNAUTHENTICATED' }, 'logout revokes');
    const raced = await auth.login(name, 'password-1');
    const both = await Promise.allSettled([auth.refresh(raced.refreshToken), auth.refresh(raced.refreshToken)]);
    const won = both.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof auth.refresh>>> => r.status === 'fulfilled');
    t.ok(won.length <= 1, 'two concurrent refreshes of one token never both succeed');
    for (const w of won) await t.rejects(auth.refresh(w.value.refreshToken), { code: 'UNAUTHENTICATED' }, 'the race counts as reuse: the login is revoked');

    // The race's unlucky order, made deterministic: the losing request revoked the family's rows
    // before the winner stored its new token, so only the old row carries revoked_at.
    const first = await auth.login(name, 'password-1');
    const winner = await auth.refresh(first.refreshToken);
    await db.kysely.updateTable('refresh_tokens').set({ revoked_at: Date.now() }).where('token_hash', '=', hashRefreshToken(first.refreshToken)).execute();
    await t.rejects(auth.refresh(winner.refreshToken), { code: 'UNAUTHENTICATED' }, 'a token issued after its login was revoked is refused too');
  });

  t.test(`refresh reuse grace on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());
    const tokens = new AccessTokens({ secret: randomBytes(32).toString('hex'), issuer: 'i', audience: 'a', accessTtlSeconds: 60 });
    const relay = new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined });
    const auth = new AuthService({ db, relay, tokens, refreshTtlSeconds: 3600, passwordHashLogN: 10, newId, clock: systemClock, refreshReuseGraceSeconds: 30, refreshReuseGraceReissues: 2 });
    const name = `g_${randomBytes(4).toString('hex')}`;
    const reg = await auth.register(name, 'password-1', 'G');

    const raced = await Promise.allSettled([auth.refresh(reg.refreshToken), auth.refresh(reg.refreshToken), auth.refresh(reg.refreshToken)]);
    const won = raced.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof auth.refresh>>> => r.status === 'fulfilled');
    t.equal(won.length, 3, 'three concurrent presentations: the winner and two grace pairs');
    t.equal(new Set(won.map((w) => w.value.refreshToken)).size, 3, 'three different refresh tokens');
    await t.rejects(auth.refresh(reg.refreshToken), { code: 'UNAUTHENTICATED' }, 'a fourth presentation is reuse');
    for (const w of won) await t.rejects(auth.refresh(w.value.refreshToken), { code: 'UNAUTHENTICATED' }, 'and revoked the whole login');

    const login = await auth.login(name, 'password-1');
    const next = await auth.refresh(login.refreshToken);
    await auth.refresh(next.refreshToken);
    await t.rejects(auth.refresh(login.refreshToken), { code: 'UNAUTHENTICATED' }, 'within the window but after the login moved on: reuse');
  });
}
