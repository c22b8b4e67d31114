import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import type { Db } from '@chat/shared/db/database';
import { RoomWriter } from '../src/room-writer';
import { replayTimeline } from '../src/timeline.replay';

async function snapshot(db: Db) {
  const k = db.kysely;
  return {
    rooms: await k.selectFrom('rooms').select(['id', 'type', 'name', 'created_by', 'created_at', 'last_seq', 'last_event_at', 'member_count', 'direct_key', 'deleted_at']).orderBy('id').execute(),
    members: await k.selectFrom('members').select(['room_id', 'user_id', 'role', 'joined_at']).orderBy('room_id').orderBy('user_id').execute(),
    messages: await k.selectFrom('messages').selectAll().orderBy('id').execute(),
    events: await k.selectFrom('room_events').select(['room_id', 'seq', 'event_id', 'type', 'message_id', 'payload']).orderBy('room_id').orderBy('seq').execute(),
  };
}

for (const engine of testDatabases()) {
  t.test(`replaying the event log rebuilds the message store (${engine.name})`, async (t) => {
    const source = await engine.open();
    const target = await engine.open();
    t.teardown(async () => {
      await source.close();
      await target.close();
    });
    const writer = new RoomWriter({ db: source, relay: new OutboxRelay(source.kysely, new InMemoryEventBus(), { warn: () => undefined }), cache: new InProcessRoomCache(), newId, clock: systemClock });
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const group = await writer.execute({ type: 'createRoom', actorId: a, roomType: 'group', name: '팀', memberIds: [b] });
    const direct = await writer.execute({ type: 'createRoom', actorId: a, roomType: 'direct', name: null, memberIds: [c] });
    if (group.type !== 'room' || direct.type !== 'room') throw new Error();
    const g = group.room.id;
    const ids: string[] = [];
    for (let i = 0; i < 700; i++) {
      const r = await writer.execute({ type: 'postMessage', actorId: i % 2 ? a : b, roomId: g, clientMsgId: `c${i}`, body: `메시지 ${i}` });
      if (r.type === 'message') ids.push(r.message.id);
    }
    await writer.execute({ type: 'editMessage', actorId: a, roomId: g, messageId: ids[1]!, body: 'edited' });
    await writer.execute({ type: 'deleteMessage', actorId: a, roomId: g, messageId: ids[2]! });
    await writer.execute({ type: 'renameRoom', actorId: a, roomId: g, name: '새 이름' });
    await writer.execute({ type: 'addMember', actorId: a, roomId: g, userId: c });
    await writer.execute({ type: 'changeRole', actorId: a, roomId: g, userId: c, role: 'admin' });
    await writer.execute({ type: 'removeMember', actorId: c, roomId: g, userId: b });
    await writer.execute({ type: 'postMessage', actorId: c, roomId: direct.room.id, clientMsgId: 'd', body: 'hi' });

    const stats = await replayTimeline(source, target);
    t.equal(stats.rooms, 2);
    const [before, after] = [await snapshot(source), await snapshot(target)];
    t.equal(after.messages.length, 701);
    t.same(after.rooms, before.rooms, 'rooms match');
    t.same(after.members, before.members, 'members match');
    t.same(after.messages, before.messages, 'messages match (edits and tombstones included)');
    t.same(after.events, before.events, 'the log itself is copied exactly');
  });
}
