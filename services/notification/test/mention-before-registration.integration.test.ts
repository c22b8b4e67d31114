// The directory of usernames comes from user.registered on the user topic, the mentions from the room topic, and
// Kafka keeps no order between topics: a mention handled before the mentioned member's registration was lost.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import type { Role } from '@chat/shared/events/timeline-events';
import { newId } from '@chat/shared/kernel/ids';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { testDatabases } from '@chat/shared/testing/databases';
import { PARKED_MENTION_TTL_MS, startNotifications } from '../src/notification.module';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function registered(userId: string, username: string): EventEnvelope {
  return { id: randomUUID(), type: 'user.registered', version: 1, key: userId, occurredAt: new Date().toISOString(), payload: { user: { id: userId, username, displayName: username, createdAt: new Date().toISOString() } } };
}

function posted(roomId: string, actorId: string, body: string, seq: number): EventEnvelope {
  const message = { id: randomUUID(), roomId, seq, senderId: actorId, clientMsgId: randomUUID(), body, createdAt: new Date().toISOString(), editedAt: null, deleted: false };
  return { id: randomUUID(), type: 'message.posted', version: 1, key: roomId, occurredAt: message.createdAt, payload: { type: 'message.posted', roomId, seq, actorId, occurredAt: message.createdAt, message } };
}

for (const engine of testDatabases()) {
  t.test(`mentions on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());
    const bus = new InMemoryEventBus();
    t.teardown(() => bus.close());
    const members = new Map<string, Set<string>>();
    const queries = { roleOf: async (roomId: string, userId: string): Promise<Role | null> => (members.get(roomId)?.has(userId) ? 'member' : null) } as unknown as RoomQueries;
    let clock = Date.now();
    const sub = await startNotifications({ db, bus, queries, newId, now: () => clock });
    t.teardown(() => sub.close());
    const signalled: Array<{ userId: string; notification: { messageId: string } }> = [];
    const signals = await bus.subscribe({ group: 'test-signals', topics: ['signal'], handler: async (e) => void signalled.push(e.payload as never) });
    t.teardown(() => signals.close());
    const recorded = (userId: string) => db.kysely.selectFrom('notifications').select(['message_id']).where('user_id', '=', userId).execute();
    const settle = async (until: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await until()); i++) await sleep(20);
    };

    const [owner, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const room = randomUUID();
    members.set(room, new Set([owner, bob]));
    const bobName = `bob${bob.slice(0, 6)}`;

    t.test('the mention arrives before the registration: recorded and signalled once the registration is handled', async (t) => {
      const m = posted(room, owner, `hi @${bobName.toUpperCase()}`, 5);
      await bus.publish([m]);
      await sleep(150);
      t.same(await recorded(bob), [], 'not yet: the name is unknown');
      await bus.publish([registered(bob, bobName)]);
      await settle(async () => (await recorded(bob)).length > 0 && signalled.length > 0);
      t.same((await recorded(bob)).map((r) => r.message_id), [(m.payload as { message: { id: string } }).message.id], 'recorded');
      t.same(signalled.map((s) => s.userId), [bob], 'signalled to bob');
      const parked = await db.kysely.selectFrom('notification_parked_mentions').selectAll().execute();
      t.same(parked, [], 'nothing left parked');
      // The same events again (at-least-once): still one notification.
      await bus.publish([m, registered(bob, bobName)]);
      await sleep(200);
      t.equal((await recorded(bob)).length, 1, 'once');
    });

    t.test('a parked mention of someone who is not a member when they register: dropped', async (t) => {
      const carolName = `carol${carol.slice(0, 6)}`;
      await bus.publish([posted(room, owner, `@${carolName} are you here?`, 6)]);
      await sleep(150);
      await bus.publish([registered(carol, carolName)]);
      await sleep(200);
      t.same(await recorded(carol), [], 'carol is not in the room');
      t.same(await db.kysely.selectFrom('notification_parked_mentions').selectAll().execute(), [], 'and not kept');
    });

    t.test('names nobody registers are parked for a bounded time, at most ten per message', async (t) => {
      const many = Array.from({ length: 30 }, (_, i) => `@nobody${i}x`).join(' ');
      await bus.publish([posted(room, owner, many, 7)]);
      await settle(async () => (await db.kysely.selectFrom('notification_parked_mentions').selectAll().execute()).length > 0);
      await sleep(100);
      t.equal((await db.kysely.selectFrom('notification_parked_mentions').selectAll().execute()).length, 10, 'ten parked');
      clock += PARKED_MENTION_TTL_MS + 61_000;
      await bus.publish([posted(room, owner, '@another1 hello', 8)]);
      await sleep(200);
      const left = await db.kysely.selectFrom('notification_parked_mentions').select('username').execute();
      t.same(left.map((r) => r.username), ['another1'], 'the expired ones are purged');
    });
  });
}
