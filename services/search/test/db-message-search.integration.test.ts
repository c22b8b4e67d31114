import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import { RoomWriter } from '@chat/message/room-writer';
import { likePattern, searchMessages } from '../src/db-message-search';

t.test('LIKE wildcards in a query are literal', async (t) => {
  t.equal(likePattern('50%_off!'), '%50!%!_off!!%');
  t.equal(likePattern('ÄB'), '%äb%', 'lower-cased');
});

for (const engine of testDatabases()) {
  t.test(`Korean-aware search on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());
    const writer = new RoomWriter({ db, relay: new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined }), cache: new InProcessRoomCache(), newId, clock: systemClock });
    const me = randomUUID();
    const stranger = randomUUID();
    const room = await writer.execute({ type: 'createRoom', actorId: me, roomType: 'group', name: 's', memberIds: [] });
    const other = await writer.execute({ type: 'createRoom', actorId: stranger, roomType: 'group', name: 'x', memberIds: [] });
    if (room.type !== 'room' || other.type !== 'room') throw new Error();
    const post = (actorId: string, roomId: string, body: string) => writer.execute({ type: 'postMessage', actorId, roomId, clientMsgId: randomUUID(), body });
    await post(me, room.room.id, '서버가 죽었어요');
    await post(me, room.room.id, '채팅서버');
    await post(me, room.room.id, 'Hello WORLD');
    await post(me, room.room.id, '100% sure');
    await post(stranger, other.room.id, '서버 in a room I am not in');
    const deleted = await post(me, room.room.id, '서버 to delete');
    if (deleted.type !== 'message') throw new Error();
    await writer.execute({ type: 'deleteMessage', actorId: me, roomId: room.room.id, messageId: deleted.message.id });
    const edited = await post(me, room.room.id, 'old words');
    if (edited.type !== 'message') throw new Error();
    await writer.execute({ type: 'editMessage', actorId: me, roomId: room.room.id, messageId: edited.message.id, body: 'new words' });

    const bodies = async (q: string) => (await searchMessages(db, { userId: me, q, limit: 20 })).map((m) => m.body);
    t.same(await bodies('서버'), ['채팅서버', '서버가 죽었어요'], 'a word inside a longer word, newest first, only my rooms, never deleted');
    t.same(await bodies('hello world'), ['Hello WORLD'], 'case-insensitive');
    t.same(await bodies('%'), ['100% sure'], '% is literal');
    t.same(await bodies('_'), [], '_ is literal');
    t.same(await bodies('old'), [], 'an edited message no longer matches its old body');
    t.same(await bodies('new'), ['new words']);
    t.same(await bodies('\u1109\u1165\u1107\u1165'), ['채팅서버', '서버가 죽었어요'], 'a decomposed (NFD) query matches after NFC');
  });
}
