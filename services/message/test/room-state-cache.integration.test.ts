// The writer's in-memory room states are bounded: idle rooms are evicted, and an evicted room reloads from the store.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import type { Db } from '@chat/shared/db/database';
import type { RoomCommandResult } from '@chat/shared/ports/room-commands';
import { RoomWriter, type RoomWriterOptions } from '../src/room-writer';
import { DbRoomQueries } from '../src/room-queries.db';

const quietLog = { warn: () => undefined };

function writerOn(db: Db, extra: Partial<RoomWriterOptions> = {}) {
  const relay = new OutboxRelay(db.kysely, new InMemoryEventBus(), quietLog);
  const cache = new InProcessRoomCache();
  return { relay, writer: new RoomWriter({ db, relay, cache, newId, clock: systemClock, ...extra }), queries: new DbRoomQueries(db, cache) };
}

function message(r: RoomCommandResult) {
  if (r.type !== 'message') throw new Error(`expected a message, got ${r.type}`);
  return r;
}

async function seqsOf(queries: DbRoomQueries, roomId: string, userId: string): Promise<number[]> {
  return (await queries.events(roomId, userId, 0, 500)).items.map((e) => e.seq);
}

const gapless = (seqs: number[]) => seqs.every((s, i) => s === i + 1);

for (const engine of testDatabases()) {
  t.test(`room state cache on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());

    t.test('at most roomCacheSize idle rooms are kept; an evicted room reloads and continues gapless and idempotent', async (t) => {
      const { writer, queries } = writerOn(db, { roomCacheSize: 3 });
      const owner = randomUUID();
      const member = randomUUID();
      const rooms: string[] = [];
      for (let i = 0; i < 10; i++) {
        const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `r${i}`, memberIds: [member] });
        if (made.type === 'room') rooms.push(made.room.id);
      }
      const first = [];
      for (const roomId of rooms) first.push(message(await writer.execute({ type: 'postMessage', actorId: member, roomId, clientMsgId: 'a', body: 'first' })).message);
      t.ok(writer.cacheStats.rooms <= 3, `at most 3 room states kept (${writer.cacheStats.rooms})`);
      t.ok(writer.cacheStats.evictions >= 7, `idle rooms were evicted (${writer.cacheStats.evictions})`);

      const missesBefore = writer.cacheStats.misses;
      for (const [i, roomId] of rooms.entries()) {
        const repeat = message(await writer.execute({ type: 'postMessage', actorId: member, roomId, clientMsgId: 'a', body: 'again' }));
        t.equal(repeat.created, false, `room ${i}: a repeated clientMsgId is not a new message`);
        t.same([repeat.message.id, repeat.message.seq], [first[i]!.id, first[i]!.seq], `room ${i}: the same message`);
        const next = message(await writer.execute({ type: 'postMessage', actorId: member, roomId, clientMsgId: 'b', body: 'second' }));
        t.equal(next.message.seq, first[i]!.seq + 1, `room ${i}: the next seq after a reload`);
        await writer.execute({ type: 'editMessage', actorId: member, roomId, messageId: first[i]!.id, body: 'edited' });
        const joined = await writer.execute({ type: 'addMember', actorId: owner, roomId, userId: randomUUID() });
        t.match(joined, { type: 'member', created: true }, `room ${i}: the owner's role survived the reload`);
        const outsider = await writer.execute({ type: 'postMessage', actorId: randomUUID(), roomId, clientMsgId: 'x', body: 'no' }).catch((e: unknown) => e);
        t.match(outsider, { code: 'NOT_FOUND' }, `room ${i}: membership survived the reload`);
        const seqs = await seqsOf(queries, roomId, owner);
        t.ok(gapless(seqs), `room ${i}: timeline gapless 1..${seqs.length}`);
        t.equal(seqs.length, first[i]!.seq + 3, `room ${i}: posted, edited, joined`);
        const head = await db.kysely.selectFrom('rooms').select(['last_seq', 'member_count']).where('id', '=', roomId).executeTakeFirstOrThrow();
        t.same([Number(head.last_seq), Number(head.member_count)], [seqs.length, 3], `room ${i}: stored head and member count`);
      }
      t.ok(writer.cacheStats.misses > missesBefore, 'evicted rooms were loaded again from the store');
      t.ok(writer.cacheStats.rooms <= 3, `still at most 3 (${writer.cacheStats.rooms})`);
    });

    t.test('a room with a command in flight or queued is not evicted', async (t) => {
      const { writer, relay } = writerOn(db, { roomCacheSize: 1, maxLanesPerCommit: 1, maxConcurrentCommits: 2 });
      const owner = randomUUID();
      const made = await Promise.all([0, 1].map((i) => writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `p${i}`, memberIds: [] })));
      const [a, b] = made.map((r) => (r.type === 'room' ? r.room.id : ''));
      // Hold the handover to the relay: a lane stays in flight until its row is handed over.
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const publish = relay.publishCommitted.bind(relay);
      relay.publishCommitted = async (...args) => {
        await gate;
        return publish(...args);
      };
      message(await writer.execute({ type: 'postMessage', actorId: owner, roomId: a!, clientMsgId: 'a1', body: 'x' }));
      // Room a is in flight (publishing); room b commits beside it and its state pushes the cache over its size.
      message(await writer.execute({ type: 'postMessage', actorId: owner, roomId: b!, clientMsgId: 'b1', body: 'x' }));
      const missesBefore = writer.cacheStats.misses;
      const a2 = writer.execute({ type: 'postMessage', actorId: owner, roomId: a!, clientMsgId: 'a2', body: 'x' }); // queued behind a1
      open();
      relay.publishCommitted = publish;
      t.equal(message(await a2).message.seq, 4, 'a2 follows a1');
      t.equal(writer.cacheStats.misses, missesBefore, 'room a was neither evicted in flight nor while queued: no reload');
      await writer.idle();
      message(await writer.execute({ type: 'postMessage', actorId: owner, roomId: b!, clientMsgId: 'b2', body: 'x' }));
      t.ok(writer.cacheStats.rooms <= 1, `back to at most 1 once idle (${writer.cacheStats.rooms})`);
    });

    t.test('two writers with small caches on one store keep every room gapless (overlapping writers)', async (t) => {
      const one = writerOn(db, { roomCacheSize: 2 });
      const two = writerOn(db, { roomCacheSize: 2 });
      const owner = randomUUID();
      const rooms: string[] = [];
      for (let i = 0; i < 6; i++) {
        const made = await one.writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `w${i}`, memberIds: [] });
        if (made.type === 'room') rooms.push(made.room.id);
      }
      const work = [];
      for (let k = 0; k < 6; k++) {
        for (const roomId of rooms) {
          const w = k % 2 === 0 ? one.writer : two.writer;
          work.push(w.execute({ type: 'postMessage', actorId: owner, roomId, clientMsgId: `m${k}`, body: `m${k}` }));
          work.push(w.execute({ type: 'postMessage', actorId: owner, roomId, clientMsgId: `m${k}`, body: 'repeat' }));
        }
      }
      const settled = await Promise.allSettled(work);
      t.equal(settled.filter((s) => s.status === 'rejected').length, 0, 'no command failed');
      for (const [i, roomId] of rooms.entries()) {
        const seqs = await seqsOf(one.queries, roomId, owner);
        t.same(seqs, Array.from({ length: 8 }, (_, k) => k + 1), `room ${i}: created, joined, six messages, gapless`);
      }
      t.ok(one.writer.cacheStats.rooms <= 2 && two.writer.cacheStats.rooms <= 2, 'both caches bounded');
    });
  });
}
