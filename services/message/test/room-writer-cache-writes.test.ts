// After a group commit the writer tells the shared cache every room's new head at once (one round trip to
// Redis for the group), not room after room before it answers.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { openDatabase } from '@chat/shared/db/database';
import { RoomWriter } from '../src/room-writer';

/** A cache whose head writes take a while, counting how many are in flight at once. */
class SlowHeads extends InProcessRoomCache {
  inFlight = 0;
  mostInFlight = 0;
  override async putHead(roomId: string, lastSeq: number): Promise<void> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 30));
    this.inFlight--;
    return super.putHead(roomId, lastSeq);
  }
}

t.test("a group commit's cache writes go out together, and every answer comes after its room's head is written", async (t) => {
  const db = await openDatabase('sqlite::memory:');
  t.teardown(() => db.close());
  const cache = new SlowHeads();
  const writer = new RoomWriter({ db, relay: new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined }), cache, newId, clock: systemClock });
  const owner = randomUUID();
  const rooms: string[] = [];
  for (let i = 0; i < 8; i++) {
    const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `r${i}`, memberIds: [] });
    if (made.type === 'room') rooms.push(made.room.id);
  }
  cache.mostInFlight = 0;
  const answers = await writer.executeMany(rooms.map((roomId, i) => ({ type: 'postMessage' as const, actorId: owner, roomId, clientMsgId: `c${i}`, body: 'hi' })));
  t.ok(answers.every((a) => 'result' in a));
  t.equal(cache.mostInFlight, 8, 'the 8 rooms of one group commit: 8 head writes in flight at once');
  for (const [i, a] of answers.entries()) {
    const seq = 'result' in a && a.result.type === 'message' ? a.result.message.seq : -1;
    t.equal(await cache.head(rooms[i]!), seq, 'each head written before the answers');
  }
});
