// Idempotency keys compare byte for byte on every engine, and one bad command never fails its batch.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import type { Db } from '@chat/shared/db/database';
import type { RoomCommandResult } from '@chat/shared/ports/room-commands';
import { RoomWriter } from '../src/room-writer';
import { DbRoomQueries } from '../src/room-queries.db';

const quietLog = { warn: () => undefined };

function message(r: RoomCommandResult) {
  if (r.type !== 'message') throw new Error(`expected a message, got ${r.type}`);
  return r;
}

/** A database-side refusal of one command: inserting a message whose body is "poison" fails. */
async function refusePoison(db: Db): Promise<void> {
  if (db.dialect === 'sqlite') {
    await sql`CREATE TRIGGER IF NOT EXISTS refuse_poison BEFORE INSERT ON messages WHEN NEW.body = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END`.execute(db.kysely);
  } else {
    await sql`CREATE TRIGGER refuse_poison BEFORE INSERT ON messages FOR EACH ROW BEGIN IF NEW.body = 'poison' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poison refused'; END IF; END`.execute(db.kysely);
  }
}

for (const engine of testDatabases()) {
  t.test(`idempotency keys and batch isolation on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());
    const cache = new InProcessRoomCache();
    const writer = new RoomWriter({ db, relay: new OutboxRelay(db.kysely, new InMemoryEventBus(), quietLog), cache, newId, clock: systemClock });
    const queries = new DbRoomQueries(db, cache);
    const owner = randomUUID();
    const room = async (name: string) => {
      const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name, memberIds: [] });
      if (made.type !== 'room') throw new Error('no room');
      return made.room.id;
    };
    const post = (roomId: string, clientMsgId: string, body = `body of ${JSON.stringify(clientMsgId)}`) => writer.execute({ type: 'postMessage', actorId: owner, roomId, clientMsgId, body });

    t.test('clientMsgIds that differ only by trailing blanks or case are different messages; each repeat answers its own', async (t) => {
      const roomId = await room('keys');
      const first = message(await post(roomId, 'm1'));
      const variants = ['m1 ', 'm1  ', 'm1\u00a0', 'm1\t', 'M1'];
      // Queued together behind a lead command: the variants and the good commands share one batch.
      const [, ...made] = (await Promise.all([post(roomId, 'lead'), ...variants.map((v) => post(roomId, v)), post(roomId, 'after')])).map(message);
      for (const [i, v] of variants.entries()) {
        t.equal(made[i]!.created, true, `${JSON.stringify(v)} is a new message`);
        t.equal(made[i]!.message.clientMsgId, v, `${JSON.stringify(v)} stored as sent`);
      }
      const ids = new Set([first.message.id, ...made.map((m) => m.message.id)]);
      t.equal(ids.size, variants.length + 2, 'all distinct');
      const again = (await Promise.all(['m1', ...variants].map((v) => post(roomId, v, 'a repeat')))).map(message);
      t.same(again.map((a) => a.created), again.map(() => false), 'every repeat is answered, none creates');
      t.same(again.map((a) => a.message.id), [first.message.id, ...made.slice(0, variants.length).map((m) => m.message.id)], 'each repeat answers its own message');
      const page = await queries.messages(roomId, owner, { limit: 50 });
      t.equal(page.items.length, variants.length + 3, 'm1, lead, five variants, after');
    });

    t.test('a username is looked up byte for byte ("name " finds nothing)', async (t) => {
      const name = `pad_${randomUUID().slice(0, 8)}`;
      await db.kysely.insertInto('users').values({ id: randomUUID(), username: name, display_name: name, password_hash: 'x', created_at: Date.now() }).execute();
      t.equal((await db.kysely.selectFrom('users').select('id').where('username', '=', name).execute()).length, 1);
      t.equal((await db.kysely.selectFrom('users').select('id').where('username', '=', `${name} `).execute()).length, 0);
    });

    if (engine.name === 'mysql') {
      t.test('every string column of the schema has a NO PAD binary collation', async (t) => {
        const { rows } = await sql<{ TABLE_NAME: string; COLUMN_NAME: string; COLLATION_NAME: string }>`
          SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL AND TABLE_NAME NOT LIKE 'kysely%'`.execute(db.kysely);
        t.ok(rows.length > 20, `${rows.length} string columns`);
        const padded = rows.filter((r) => !['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'].includes(r.COLLATION_NAME));
        t.same(padded.map((r) => `${r.TABLE_NAME}.${r.COLUMN_NAME} ${r.COLLATION_NAME}`), []);
      });
    }

    t.test('a command the database refuses fails alone; the rest of its batch commits, in order, and other rooms of the group too', async (t) => {
      await refusePoison(db);
      const roomId = await room('isolation');
      const other = await room('beside');
      const lead = [post(roomId, 'lead'), post(other, 'lead')];
      const batch = ['g1', 'bad', 'g2', 'g3', 'g4', 'g5'].map((id) => post(roomId, id, id === 'bad' ? 'poison' : id));
      const beside = ['b1', 'b2'].map((id) => post(other, id));
      const settled = await Promise.allSettled([...lead, ...batch, ...beside]);
      t.same(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const good = settled.filter((s): s is PromiseFulfilledResult<RoomCommandResult> => s.status === 'fulfilled').map((s) => message(s.value));
      const seqs = good.filter((g) => g.message.roomId === roomId).map((g) => g.message.seq);
      t.same(seqs, [...seqs].sort((a, b) => a - b), 'the good commands keep their queue order');
      const events = (await queries.events(roomId, owner, 0, 100)).items.map((e) => e.seq);
      t.same(events, Array.from({ length: events.length }, (_, i) => i + 1), 'timeline gapless');
      t.equal(events.length, 2 + 6, 'created, joined, lead and five good messages');
      const again = message(await post(roomId, 'g6'));
      t.equal(again.message.seq, events.length + 1, 'the room keeps going');
    });
  });
}
