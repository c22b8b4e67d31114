// While a transaction is in flight, the writer starts another only when a full group of rooms is ready or a command
// has waited overlapAfterMs; until then commands wait and go together in the next, bigger transaction.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { openDatabase } from '@chat/shared/db/database';
import { RoomWriter, type RoomWriterOptions } from '../src/room-writer';

/** A cache whose head writes take 50 ms (a transaction stays in flight until they are done), counting them in flight. */
class SlowHeads extends InProcessRoomCache {
  inFlight = 0;
  mostInFlight = 0;
  override async putHead(roomId: string, lastSeq: number): Promise<void> {
    this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, 50));
    this.inFlight--;
    return super.putHead(roomId, lastSeq);
  }
}

async function setUp(t: { teardown(fn: () => unknown): void }, options: Partial<RoomWriterOptions>, cache = new InProcessRoomCache()) {
  const db = await openDatabase('sqlite::memory:');
  t.teardown(() => db.close());
  const batches: number[] = [];
  const writer = new RoomWriter({ db, relay: new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined }), cache, newId, clock: systemClock, maxConcurrentCommits: 8, ...options, onBatch: (size) => batches.push(size) });
  const owner = randomUUID();
  const rooms: string[] = [];
  for (let i = 0; i < 5; i++) {
    const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `r${i}`, memberIds: [] });
    if (made.type === 'room') rooms.push(made.room.id);
  }
  await writer.idle();
  batches.length = 0;
  /** Posts once to every room at once; resolves when every transaction has ended (answers come just before that). */
  const postAll = async () => {
    await Promise.all(rooms.map((roomId, i) => writer.execute({ type: 'postMessage', actorId: owner, roomId, clientMsgId: `c${i}`, body: 'hi' })));
    await writer.idle();
  };
  return { batches, postAll };
}

t.test('commands that arrive while a transaction is in flight wait for it and go together', async (t) => {
  const { batches, postAll } = await setUp(t, { overlapAfterMs: 10_000 });
  await postAll();
  t.same(batches, [1, 4], 'the first alone, the four that came meanwhile in one transaction');
});

t.test('a full group ready starts a transaction beside the one in flight', async (t) => {
  const { batches, postAll } = await setUp(t, { overlapAfterMs: 10_000, maxLanesPerCommit: 2 });
  await postAll();
  t.same(batches, [1, 2, 2]);
});

t.test('with no wait allowed, every command starts its own transaction (the eager behaviour)', async (t) => {
  const { batches, postAll } = await setUp(t, { overlapAfterMs: 0 });
  await postAll();
  t.same(batches, [1, 1, 1, 1, 1]);
});

for (const [overlapAfterMs, mostInFlight, what] of [
  [5, 5, 'a command that waited overlapAfterMs starts a transaction while the one in flight has not ended'],
  [10_000, 4, '(the same with a long wait: the second transaction only after the first)'],
] as const) {
  t.test(what, async (t) => {
    const cache = new SlowHeads();
    const { batches, postAll } = await setUp(t, { overlapAfterMs }, cache);
    cache.mostInFlight = 0;
    await postAll();
    t.same(batches, [1, 4]);
    t.equal(cache.mostInFlight, mostInFlight, mostInFlight === 5 ? 'the second transaction reached its cache writes while the first was still in its own' : 'one after the other');
  });
}
