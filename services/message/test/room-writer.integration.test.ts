import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { Db } from '@chat/shared/db/database';
import { RoomWriter } from '../src/room-writer';
import { DbRoomQueries } from '../src/room-queries.db';

const quietLog = { warn: () => undefined };

async function setup(db: Db) {
  const bus = new InMemoryEventBus();
  const published: EventEnvelope[] = [];
  await bus.subscribe({ group: 'test', topics: ['room'], handler: async (e) => void published.push(e) });
  const relay = new OutboxRelay(db.kysely, bus, quietLog);
  const cache = new InProcessRoomCache();
  const writer = new RoomWriter({ db, relay, cache, newId, clock: systemClock });
  const queries = new DbRoomQueries(db, cache);
  const owner = randomUUID();
  const others = [randomUUID(), randomUUID(), randomUUID()];
  const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: 'it', memberIds: others });
  if (made.type !== 'room') throw new Error('no room');
  return { bus, relay, writer, queries, owner, others, roomId: made.room.id, published };
}

for (const engine of testDatabases()) {
  t.test(`room writer on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());

    t.test('concurrent sends from many users get one gapless order, stored and published alike', async (t) => {
      const s = await setup(db);
      const senders = [s.owner, ...s.others];
      const sends = senders.flatMap((actorId) =>
        Array.from({ length: 50 }, (_, i) => s.writer.execute({ type: 'postMessage', actorId, roomId: s.roomId, clientMsgId: `c${i}`, body: `m${i}` })),
      );
      const results = await Promise.all(sends);
      const seqs = results.map((r) => (r.type === 'message' ? r.message.seq : -1)).sort((a, b) => a - b);
      t.same(seqs, Array.from({ length: 200 }, (_, i) => i + 6), 'seqs 6..205, no gaps, no repeats');
      const events = await s.queries.events(s.roomId, s.owner, 0, 500);
      t.same(events.items.map((e) => e.seq), Array.from({ length: 205 }, (_, i) => i + 1), 'timeline 1..205');
      await new Promise((r) => setTimeout(r, 50));
      const mine = s.published.filter((e) => e.key === s.roomId).map((e) => (e.payload as TimelineEvent).seq);
      t.same(mine, Array.from({ length: 205 }, (_, i) => i + 1), 'published in seq order');
      t.equal(s.relay.stats.rowsReadFromTable, 0, 'every row published from memory: the writer handed over the id of the row it wrote');
    });

    t.test('a repeated clientMsgId, even in the same batch, is one message', async (t) => {
      const s = await setup(db);
      const cmd = { type: 'postMessage' as const, actorId: s.owner, roomId: s.roomId, clientMsgId: 'same', body: 'first' };
      const [a, b] = await Promise.all([s.writer.execute(cmd), s.writer.execute({ ...cmd, body: 'second' })]);
      t.match(a, { type: 'message', created: true, message: { body: 'first' } });
      t.match(b, { type: 'message', created: false, message: { body: 'first' } });
      const page = await s.queries.messages(s.roomId, s.owner, { limit: 50 });
      t.equal(page.items.length, 1);
    });

    t.test('a refused command in a batch does not fail the others', async (t) => {
      const s = await setup(db);
      const outsider = randomUUID();
      const results = await Promise.allSettled([
        s.writer.execute({ type: 'postMessage', actorId: s.owner, roomId: s.roomId, clientMsgId: 'a', body: 'ok' }),
        s.writer.execute({ type: 'postMessage', actorId: outsider, roomId: s.roomId, clientMsgId: 'b', body: 'no' }),
        s.writer.execute({ type: 'postMessage', actorId: s.others[0]!, roomId: s.roomId, clientMsgId: 'c', body: 'ok' }),
      ]);
      t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      t.match((results[1] as PromiseRejectedResult).reason, { code: 'NOT_FOUND' });
    });

    t.test('deleting a message scrubs its body from every stored event', async (t) => {
      const s = await setup(db);
      const posted = await s.writer.execute({ type: 'postMessage', actorId: s.owner, roomId: s.roomId, clientMsgId: 'x', body: 'secret' });
      if (posted.type !== 'message') throw new Error();
      await s.writer.execute({ type: 'editMessage', actorId: s.owner, roomId: s.roomId, messageId: posted.message.id, body: 'secret 2' });
      await s.writer.execute({ type: 'deleteMessage', actorId: s.owner, roomId: s.roomId, messageId: posted.message.id });
      const events = await s.queries.events(s.roomId, s.owner, 0, 100);
      const about = events.items.filter((e) => e.type.startsWith('message.'));
      t.same(about.map((e) => e.type), ['message.posted', 'message.edited', 'message.deleted']);
      t.notMatch(JSON.stringify(about), /secret/);
      const again = await s.writer.execute({ type: 'postMessage', actorId: s.owner, roomId: s.roomId, clientMsgId: 'x', body: 'new' });
      t.match(again, { created: false, message: { body: '', deleted: true } }, 'a repeat answers the tombstone');
    });

    t.test('membership changes reach reads at once; a removed member gets 404', async (t) => {
      const s = await setup(db);
      const target = s.others[1]!;
      t.equal(await s.queries.roleOf(s.roomId, target), 'member');
      await s.writer.execute({ type: 'removeMember', actorId: s.owner, roomId: s.roomId, userId: target });
      t.equal(await s.queries.roleOf(s.roomId, target), null);
      await t.rejects(s.queries.messages(s.roomId, target, { limit: 10 }), { code: 'NOT_FOUND' });
    });

    t.test('one group commit over many rooms with mixed commands keeps every room right', async (t) => {
      const s = await setup(db);
      const rooms: string[] = [];
      for (let i = 0; i < 24; i++) {
        const made = await s.writer.execute({ type: 'createRoom', actorId: s.owner, roomType: 'group', name: `g${i}`, memberIds: [s.others[0]!] });
        if (made.type === 'room') rooms.push(made.room.id);
      }
      const first = await Promise.all(rooms.map((roomId) => s.writer.execute({ type: 'postMessage', actorId: s.owner, roomId, clientMsgId: 'first', body: `first in ${roomId}` })));
      const firstIds = first.map((r) => (r.type === 'message' ? r.message.id : ''));
      // Everything below is queued before any commit: the writer takes many rooms per transaction.
      const joiner = s.others[2]!;
      const work = rooms.flatMap((roomId, i) => [
        ...Array.from({ length: 5 }, (_, k) => s.writer.execute({ type: 'postMessage', actorId: k % 2 ? s.owner : s.others[0]!, roomId, clientMsgId: `m${k}`, body: `room ${i} msg ${k}` })),
        ...(i % 3 === 0 ? [s.writer.execute({ type: 'editMessage', actorId: s.owner, roomId, messageId: firstIds[i]!, body: `edited ${i}` })] : []),
        ...(i % 3 === 1 ? [s.writer.execute({ type: 'deleteMessage', actorId: s.owner, roomId, messageId: firstIds[i]! })] : []),
        ...(i % 4 === 0 ? [s.writer.execute({ type: 'addMember', actorId: s.owner, roomId, userId: joiner })] : []),
        s.writer.execute({ type: 'postMessage', actorId: s.others[0]!, roomId, clientMsgId: 'm0', body: 'a repeat of m0' }),
      ]);
      const created = s.writer.execute({ type: 'createRoom', actorId: s.owner, roomType: 'group', name: 'made alongside', memberIds: [] });
      await Promise.all([...work, created]);
      await new Promise((r) => setTimeout(r, 50));
      for (const [i, roomId] of rooms.entries()) {
        const events = (await s.queries.events(roomId, s.owner, 0, 500)).items;
        const seqs = events.map((e) => e.seq);
        t.same(seqs, Array.from({ length: seqs.length }, (_, k) => k + 1), `room ${i}: gapless 1..${seqs.length}`);
        const page = await s.queries.messages(roomId, s.owner, { limit: 100 });
        const bodies = page.items.map((m) => (m.deleted ? '<deleted>' : m.body));
        t.equal(page.items.length, 6, `room ${i}: first + 5 messages, the repeat of m0 is not a new one`);
        t.ok(bodies.includes(i % 3 === 0 ? `edited ${i}` : i % 3 === 1 ? '<deleted>' : `first in ${roomId}`), `room ${i}: edit/delete applied`);
        t.equal(await s.queries.roleOf(roomId, joiner), i % 4 === 0 ? 'member' : null, `room ${i}: membership`);
        const head = await db.kysely.selectFrom('rooms').select(['last_seq', 'member_count']).where('id', '=', roomId).executeTakeFirstOrThrow();
        t.equal(Number(head.last_seq), seqs[seqs.length - 1], `room ${i}: stored head = last stored seq`);
        t.equal(Number(head.member_count), i % 4 === 0 ? 3 : 2, `room ${i}: stored member count`);
        const published = s.published.filter((e) => e.key === roomId).map((e) => (e.payload as TimelineEvent).seq);
        t.same(published, seqs, `room ${i}: published once each, in seq order`);
      }
      t.match(await created, { type: 'room', room: { name: 'made alongside' } });
    });

    t.test('outbox rows left by a dead process are published by recover()', async (t) => {
      const s = await setup(db);
      await s.relay.stop(); // this process is done: nothing else relays while the next one starts
      const envelope = { id: randomUUID(), type: 'message.posted', version: 1, key: `orphan-${randomUUID()}`, occurredAt: new Date().toISOString(), payload: {} };
      await db.kysely.insertInto('outbox').values({ event: JSON.stringify([envelope]), created_at: Date.now() }).execute();
      const n = await new OutboxRelay(db.kysely, s.bus, quietLog).recover();
      t.ok(n >= 1);
      await new Promise((r) => setTimeout(r, 20));
      t.ok(s.published.some((e) => e.id === envelope.id), 'the orphan reached the bus');
      const left = await db.kysely.selectFrom('outbox').select('id').execute();
      t.equal(left.length, 0, 'and the outbox is empty');
    });
  });
}
