// membershipChanges: a user's own joins and leaves and the room's deletion in a seq range, as stored (the WS hub asks it
// whether a removed member came back, instead of paging through the messages between).
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import type { RoomCommand } from '@chat/shared/ports/room-commands';
import { RoomWriter } from '../src/room-writer';
import { DbRoomQueries } from '../src/room-queries.db';

for (const engine of testDatabases()) {
  t.test(`membershipChanges on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());
    const cache = new InProcessRoomCache();
    const writer = new RoomWriter({ db, relay: new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined }), cache, newId, clock: systemClock });
    const queries = new DbRoomQueries(db, cache);
    const [owner, u, other] = [randomUUID(), randomUUID(), randomUUID()];
    const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: 'r', memberIds: [u, other] });
    if (made.type !== 'room') throw new Error('no room');
    const roomId = made.room.id;
    const run = async (c: Omit<RoomCommand, 'actorId' | 'roomId'>) => writer.execute({ actorId: owner, roomId, ...c } as RoomCommand);
    const post = async (n: number) => {
      for (let i = 0; i < n; i++) await run({ type: 'postMessage', clientMsgId: randomUUID(), body: `m${i}` } as never);
    };
    const lastSeq = () => queries.lastSeq(roomId);

    await post(3);
    const before = await lastSeq();
    await run({ type: 'removeMember', userId: u } as never);
    const removedAt = await lastSeq();
    await post(1200); // many messages between, none of them read
    await run({ type: 'removeMember', userId: other } as never); // someone else's leave
    await run({ type: 'addMember', userId: other } as never);
    await run({ type: 'addMember', userId: u } as never);
    const backAt = await lastSeq();
    await post(2);

    const changes = await queries.membershipChanges(roomId, u, before, await lastSeq());
    t.same(changes.map((e) => [e.type, e.seq]), [['member.left', removedAt], ['member.joined', backAt]], 'only u’s own changes, oldest first');
    t.same(await queries.membershipChanges(roomId, u, removedAt, backAt - 1), [], 'the range is (after, upTo]');
    t.same((await queries.membershipChanges(roomId, u, removedAt, backAt)).map((e) => e.seq), [backAt], 'upTo included');
    t.same((await queries.membershipChanges(roomId, other, removedAt, backAt)).map((e) => e.type), ['member.left', 'member.joined'], 'other’s own');

    await run({ type: 'deleteRoom' } as never);
    const deleted = await queries.membershipChanges(roomId, u, backAt, backAt + 10);
    t.same(deleted.map((e) => e.type), ['room.deleted'], 'the deletion ends everyone’s view');
  });
}
