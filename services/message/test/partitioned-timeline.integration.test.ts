// MySQL/MariaDB: the timeline tables are hash-partitioned by room, and a room's reads touch one partition.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import { TIMELINE_PARTITIONS } from '@chat/shared/db/migrations/2026-11-25-003-partition-timeline';
import { RoomWriter } from '../src/room-writer';
import { earlierPostsQuery, findEarlierPosts } from '../src/room.repository';
import { DbRoomQueries } from '../src/room-queries.db';

const mysql = testDatabases().find((d) => d.name === 'mysql');

t.test('timeline tables partitioned by room', { skip: mysql ? false : 'DATABASE_URL is not MySQL/MariaDB' }, async (t) => {
  const db = await mysql!.open();
  t.teardown(() => db.close());

  for (const table of ['messages', 'room_events']) {
    const { rows } = await sql<{ n: number; method: string; expr: string }>`
      SELECT COUNT(*) AS n, MAX(PARTITION_METHOD) AS method, MAX(PARTITION_EXPRESSION) AS expr
      FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table}`.execute(db.kysely);
    t.equal(Number(rows[0]!.n), TIMELINE_PARTITIONS, `${table}: ${TIMELINE_PARTITIONS} partitions`);
    t.equal(rows[0]!.method, 'KEY', `${table}: partitioned by KEY`);
    t.match(rows[0]!.expr, /room_id/, `${table}: on room_id`);
  }

  const relay = new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined });
  const cache = new InProcessRoomCache();
  const writer = new RoomWriter({ db, relay, cache, newId, clock: systemClock });
  const queries = new DbRoomQueries(db, cache);
  const owner = randomUUID();
  const rooms: string[] = [];
  for (let i = 0; i < 20; i++) {
    const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `p${i}`, memberIds: [] });
    if (made.type === 'room') rooms.push(made.room.id);
  }
  await Promise.all(rooms.flatMap((roomId) => Array.from({ length: 5 }, (_, i) => writer.execute({ type: 'postMessage', actorId: owner, roomId, clientMsgId: `c${i}`, body: `hello ${i}` }))));

  // Row counts in information_schema are statistics: refresh them first.
  await sql`ANALYZE TABLE messages`.execute(db.kysely);
  const { rows: used } = await sql<{ n: number }>`
    SELECT COUNT(*) AS n FROM information_schema.PARTITIONS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'messages' AND TABLE_ROWS > 0`.execute(db.kysely);
  t.ok(Number(used[0]!.n) > 1, `20 rooms spread over ${used[0]!.n} partitions`);

  const room = rooms[0]!;
  const { rows: plan } = await sql<{ partitions: string | null }>`EXPLAIN PARTITIONS SELECT * FROM messages WHERE room_id = ${room} ORDER BY seq DESC LIMIT 50`
    .execute(db.kysely)
    .catch(() => sql<{ partitions: string | null }>`EXPLAIN SELECT * FROM messages WHERE room_id = ${room} ORDER BY seq DESC LIMIT 50`.execute(db.kysely));
  t.equal(plan[0]!.partitions?.split(',').length, 1, `a room's history reads one partition (${plan[0]!.partitions})`);

  const page = await queries.messages(room, owner, { limit: 50 });
  t.same(page.items.map((m) => m.body).sort(), ['hello 0', 'hello 1', 'hello 2', 'hello 3', 'hello 4'], 'history reads back through the partitioned table');
  const target = page.items[0]!;
  const edited = await writer.execute({ type: 'editMessage', actorId: owner, roomId: room, messageId: target.id, body: 'edited' });
  t.match(edited, { type: 'message', message: { body: 'edited' } }, 'edit updates the row in its partition');
  const deleted = await writer.execute({ type: 'deleteMessage', actorId: owner, roomId: room, messageId: target.id });
  t.match(deleted, { type: 'done' }, 'delete is accepted');
  const again = await queries.messages(room, owner, { limit: 50 });
  t.match(again.items.find((m) => m.id === target.id), { deleted: true, body: '' }, 'delete reaches the row in its partition');
  // The idempotency lookup probes the (room_id, sender_id, client_msg_id) key, not the room's whole history.
  await Promise.all(Array.from({ length: 300 }, (_, i) => writer.execute({ type: 'postMessage', actorId: owner, roomId: room, clientMsgId: `bulk${i}`, body: `bulk ${i}` })));
  const lookup = earlierPostsQuery(db.kysely, [
    { roomId: room, senderId: owner, clientMsgId: 'c1' },
    { roomId: room, senderId: owner, clientMsgId: 'bulk7' },
    { roomId: room, senderId: randomUUID(), clientMsgId: 'x' },
    { roomId: rooms[1]!, senderId: owner, clientMsgId: 'c2' },
  ]);
  const { rows: lookupPlan } = await sql<{ key: string | null; rows: number; type: string }>`EXPLAIN ${lookup}`.execute(db.kysely);
  t.equal(lookupPlan[0]!.key, 'messages_client_msg', `dedupe lookup over two rooms uses the idempotency key (${lookupPlan[0]!.type})`);
  t.ok(Number(lookupPlan[0]!.rows) <= 10, `and examines ${lookupPlan[0]!.rows} rows, one room having 305 messages`);
  const earlier = await findEarlierPosts(db.kysely, [{ roomId: room, senderId: owner, clientMsgId: 'bulk7' }, { roomId: rooms[1]!, senderId: owner, clientMsgId: 'c2' }, { roomId: rooms[1]!, senderId: owner, clientMsgId: 'nope' }]);
  t.same([...earlier].map(([r, m]) => [r, [...m.values()].map((x) => x.body)]).sort(), [[room, ['bulk 7']], [rooms[1]!, ['hello 2']]].sort(), 'finds exactly the repeated posts, per room');
  const repeat = await writer.execute({ type: 'postMessage', actorId: owner, roomId: room, clientMsgId: 'c1', body: 'other' });
  t.match(repeat, { type: 'message', created: false, message: { body: 'hello 1' } }, 'idempotency key still holds with (room_id, …) keys');
});
