// Several message instances over one outbox table: one relay publishes at a time (a MySQL named
// lock held by its own connection), so each row reaches the bus once; when the holder's connection
// goes, another instance takes over within a second and publishes what was left, in order.
import t from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase } from '@chat/shared/db/database';
import { MysqlOutboxLease } from '@chat/shared/events/outbox-lease';
import { OutboxRelay } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { SwitchableEventBus } from '@chat/shared/testing/switchable-event-bus';
import type { Db } from '@chat/shared/db/database';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import { RoomWriter } from '../src/room-writer';

const base = process.env.DATABASE_URL;
if (!base?.startsWith('mysql://')) {
  t.pass('the outbox lease is a MySQL named lock: needs DATABASE_URL=mysql://…');
} else {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<number> {
    const started = Date.now();
    while (!(await cond())) {
      if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
    return Date.now() - started;
  }
  const url = new URL(base);
  url.pathname = `/chat_lease_${randomBytes(4).toString('hex')}`;
  const databaseUrl = url.toString();

  /** One message-service "process": its lease, relay and writer over the shared table. */
  function instanceOn(db: Db, bus: SwitchableEventBus) {
    const lease = new MysqlOutboxLease(databaseUrl, { checkMs: 100 });
    const relay = new OutboxRelay(db.kysely, bus, { warn: () => undefined }, { flushMs: 50, retryBaseMs: 5, retryMaxMs: 40, lease });
    const writer = new RoomWriter({ db, relay, cache: new InProcessRoomCache(), newId, clock: systemClock });
    return { lease, relay, writer };
  }

  async function headOf(db: Db, roomId: string): Promise<number> {
    const row = await db.kysely.selectFrom('rooms').select('last_seq').where('id', '=', roomId).executeTakeFirstOrThrow();
    return Number(row.last_seq);
  }

  t.test('two instances over one outbox table', async (t) => {
    const db = await openDatabase(databaseUrl, { poolSize: 8 });
    t.teardown(() => db.close());
    const accepted: EventEnvelope[] = [];
    const bus = new SwitchableEventBus(accepted);
    const a = instanceOn(db, bus);
    const b = instanceOn(db, bus);
    a.relay.start();
    b.relay.start();
    t.teardown(async () => {
      await a.relay.stop();
      await b.relay.stop();
    });
    await waitFor('a lease holder', () => a.relay.publishing || b.relay.publishing, 5_000);
    await sleep(300);
    t.ok(a.relay.publishing !== b.relay.publishing, 'exactly one relay publishes');

    const owner = randomUUID();
    const member = randomUUID();
    const rooms: string[] = [];
    for (let i = 0; i < 3; i++) {
      const made = await a.writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `r${i}`, memberIds: [member] });
      if (made.type === 'room') rooms.push(made.room.id);
    }
    const sendRound = (tag: string, n: number) =>
      Promise.all(
        rooms.flatMap((roomId) =>
          [a, b].map(async (p, w) => {
            for (let k = 0; k < n; k++) await p.writer.execute({ type: 'postMessage', actorId: w ? member : owner, roomId, clientMsgId: `${tag}-${w}-${k}`, body: `${tag} ${k}` });
          }),
        ),
      );

    await sendRound('one', 20);
    for (const [i, roomId] of rooms.entries()) {
      const head = await headOf(db, roomId);
      t.equal(head, 3 + 40, `room ${i}: every send stored`);
      await waitFor(`room ${i} on the bus`, () => bus.seqsOf(roomId).length >= head);
      await sleep(200);
      t.same(bus.seqsOf(roomId), range(head), `room ${i}: every event published once, in seq order, whichever instance wrote it`);
    }

    // The holder's connection ends (its process died): the other takes the lease and publishes the rest.
    const [holder, other] = a.relay.publishing ? [a, b] : [b, a];
    bus.down = true; // the holder could not publish what it wrote last
    await sendRound('two', 5);
    await holder.lease.stop();
    bus.down = false;
    const tookOver = await waitFor('the other relay takes the lease', () => other.relay.publishing, 5_000);
    t.ok(tookOver < 2_000, `the other instance publishes within 2 s (${tookOver} ms)`);
    await sendRound('three', 5);
    for (const [i, roomId] of rooms.entries()) {
      const head = await headOf(db, roomId);
      t.equal(head, 3 + 60, `room ${i}: every send stored`);
      await waitFor(`room ${i} on the bus`, () => new Set(bus.seqsOf(roomId)).size >= head);
      const seen = new Set<number>();
      t.same(bus.seqsOf(roomId).filter((s) => !seen.has(s) && seen.add(s)), range(head), `room ${i}: nothing lost after the takeover, first deliveries in seq order`);
    }
    t.equal(holder.relay.publishing, false, 'the old holder publishes no more');
  });
}
