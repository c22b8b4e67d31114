// The outbox is the commit point: rows reach the bus in commit order, a refused publish is retried in
// place, sends are acknowledged while the bus is down, and the relay holds a bounded number of events.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { OutboxRelay, type OutboxRelayOptions } from '@chat/shared/events/outbox-relay';
import { InProcessRoomCache } from '@chat/shared/cache/in-process-room-cache';
import { newId, systemClock } from '@chat/shared/kernel/ids';
import { testDatabases } from '@chat/shared/testing/databases';
import { SwitchableEventBus } from '@chat/shared/testing/switchable-event-bus';
import type { Db } from '@chat/shared/db/database';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import { RoomWriter } from '../src/room-writer';

const quietLog = { warn: () => undefined };
const fast: OutboxRelayOptions = { flushMs: 50, retryBaseMs: 5, retryMaxMs: 40 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
/** Lets timers run between sends (SQLite answers synchronously, so a send loop can be all microtasks). */
const tick = () => new Promise((r) => setImmediate(r));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** One message-service "process": a relay on its own bus client and a writer. */
function processOn(db: Db, bus: SwitchableEventBus, options: OutboxRelayOptions = {}) {
  const relay = new OutboxRelay(db.kysely, bus, quietLog, { ...fast, ...options });
  const writer = new RoomWriter({ db, relay, cache: new InProcessRoomCache(), newId, clock: systemClock });
  return { relay, writer };
}

async function makeRooms(writer: RoomWriter, owner: string, member: string, n: number): Promise<string[]> {
  const rooms: string[] = [];
  for (let i = 0; i < n; i++) {
    const made = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: `r${i}`, memberIds: [member] });
    if (made.type === 'room') rooms.push(made.room.id);
  }
  return rooms;
}

const post = (writer: RoomWriter, actorId: string, roomId: string, clientMsgId: string) =>
  writer.execute({ type: 'postMessage', actorId, roomId, clientMsgId, body: `body ${clientMsgId}` });

async function headOf(db: Db, roomId: string): Promise<number> {
  const row = await db.kysely.selectFrom('rooms').select('last_seq').where('id', '=', roomId).executeTakeFirstOrThrow();
  return Number(row.last_seq);
}

async function outboxRowsAbout(db: Db, roomIds: string[]): Promise<number> {
  const rows = await db.kysely.selectFrom('outbox').select('event').execute();
  return rows.filter((r) => roomIds.some((id) => r.event.includes(id))).length;
}

/** Each seq the first time it reached the bus (later copies are at-least-once repeats). */
function firstSeen(seqs: number[]): number[] {
  const seen = new Set<number>();
  return seqs.filter((s) => !seen.has(s) && seen.add(s));
}

for (const engine of testDatabases()) {
  t.test(`outbox order on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());

    t.test('the bus fails on and off during a stream of sends across rooms: every room reaches the bus in seq order, once, and sends are acked meanwhile', async (t) => {
      const bus = new SwitchableEventBus();
      const p = processOn(db, bus);
      p.relay.start();
      t.teardown(() => p.relay.stop());
      const owner = randomUUID();
      const member = randomUUID();
      const rooms = await makeRooms(p.writer, owner, member, 4);
      let flapping = true;
      const flapper = (async () => {
        for (let i = 0; i < 16; i++) {
          bus.down = !bus.down;
          await sleep(30 + (i % 3) * 20);
        }
        bus.down = false;
        flapping = false;
      })();
      let ackedWhileDown = 0;
      let slowest = 0;
      const senders = rooms.flatMap((roomId) =>
        [owner, member].map(async (actorId) => {
          for (let k = 0; flapping || k < 40; k++) {
            const started = Date.now();
            const down = bus.down;
            await post(p.writer, actorId, roomId, `${actorId}-${k}`);
            slowest = Math.max(slowest, Date.now() - started);
            if (down && bus.down) ackedWhileDown++;
            await tick();
          }
        }),
      );
      await Promise.all([...senders, flapper]);
      t.ok(bus.refused > 0, `the bus refused ${bus.refused} publishes`);
      t.ok(ackedWhileDown > 0, `${ackedWhileDown} sends were acknowledged while the bus was down`);
      t.ok(slowest < 3000, `no send waited on the bus (slowest ack ${slowest} ms)`);
      for (const [i, roomId] of rooms.entries()) {
        const head = await headOf(db, roomId);
        await waitFor(`room ${i} on the bus`, () => bus.seqsOf(roomId).length >= head);
      }
      await sleep(100);
      for (const [i, roomId] of rooms.entries()) {
        t.same(bus.seqsOf(roomId), range(await headOf(db, roomId)), `room ${i}: seqs 1..head reached the bus in order, each once`);
      }
      if (engine.name === 'sqlite') {
        // One connection, so commits are serial and event ids (UUIDv7, minted in the transaction) follow commit order.
        const ids = bus.accepted.filter((e) => rooms.includes(e.key)).map((e) => e.id);
        t.same(ids, [...ids].sort(), 'across rooms too, the bus took events in commit order');
      }
      await waitFor('the outbox rows deleted', async () => (await outboxRowsAbout(db, rooms)) === 0);
    });

    t.test('while the bus is down at most N events are held in memory; the rest are read back from the outbox table in order', async (t) => {
      const bus = new SwitchableEventBus();
      const p = processOn(db, bus, { maxPendingEnvelopes: 5 });
      p.relay.start();
      t.teardown(() => p.relay.stop());
      const owner = randomUUID();
      const member = randomUUID();
      const rooms = await makeRooms(p.writer, owner, member, 2);
      bus.down = true;
      for (let k = 0; k < 30; k++) {
        await Promise.all(rooms.map((roomId, i) => post(p.writer, i % 2 ? owner : member, roomId, `k${k}`)));
        t.ok(p.relay.stats.heldEnvelopes <= 5, `held ${p.relay.stats.heldEnvelopes} after send ${k}`);
      }
      t.ok(p.relay.stats.peakHeldEnvelopes <= 5, `never more than 5 held (peak ${p.relay.stats.peakHeldEnvelopes})`);
      t.ok((await outboxRowsAbout(db, rooms)) >= 30, 'the acknowledged sends wait in the outbox table');
      bus.down = false;
      for (const roomId of rooms) {
        const head = await headOf(db, roomId);
        await waitFor('the backlog on the bus', () => bus.seqsOf(roomId).length >= head);
        t.same(bus.seqsOf(roomId), range(head), 'the backlog reached the bus in seq order, each once');
      }
      t.ok(p.relay.stats.rowsReadFromTable > 0, `${p.relay.stats.rowsReadFromTable} rows were read back from the table`);
      t.ok(p.relay.stats.peakHeldEnvelopes <= 5, 'still bounded');
    });

    t.test('a new process over rows a dead one left publishes them in order before its own, even with traffic during recovery', async (t) => {
      const busA = new SwitchableEventBus();
      busA.down = true;
      const a = processOn(db, busA);
      a.relay.start();
      const owner = randomUUID();
      const member = randomUUID();
      const rooms = await makeRooms(a.writer, owner, member, 3);
      for (let k = 0; k < 15; k++) await Promise.all(rooms.map((roomId) => post(a.writer, owner, roomId, `old${k}`)));
      await a.writer.idle();
      await a.relay.stop();
      t.equal(busA.accepted.length, 0, 'the first process published nothing');

      const busB = new SwitchableEventBus();
      const b = processOn(db, busB);
      const recovering = b.relay.recover();
      b.relay.start();
      t.teardown(() => b.relay.stop());
      const fresh = rooms.flatMap((roomId) => range(10).map((k) => post(b.writer, member, roomId, `new${k}`)));
      await Promise.all([recovering, ...fresh]);
      for (const [i, roomId] of rooms.entries()) {
        const head = await headOf(db, roomId);
        t.equal(head, 3 + 15 + 10, `room ${i}: every send stored`);
        await waitFor(`room ${i} on the new bus`, () => busB.seqsOf(roomId).length >= head);
        t.same(busB.seqsOf(roomId), range(head), `room ${i}: the left rows first, then the new ones, in seq order`);
      }
    });

    t.test('two processes over one outbox table, one with a flapping broker connection: first deliveries stay in seq order, nothing lost', async (t) => {
      const accepted: EventEnvelope[] = [];
      const busA = new SwitchableEventBus(accepted);
      const busB = new SwitchableEventBus(accepted);
      const a = processOn(db, busA);
      const b = processOn(db, busB);
      a.relay.start();
      b.relay.start();
      t.teardown(async () => {
        await a.relay.stop();
        await b.relay.stop();
      });
      const owner = randomUUID();
      const member = randomUUID();
      const rooms = await makeRooms(a.writer, owner, member, 3);
      let flapping = true;
      const flapper = (async () => {
        for (let i = 0; i < 12; i++) {
          busA.down = !busA.down;
          await sleep(30 + (i % 3) * 20);
        }
        busA.down = false;
        flapping = false;
      })();
      const senders = rooms.flatMap((roomId) =>
        [a, b].map(async (p, w) => {
          for (let k = 0; flapping || k < 20; k++) {
            await post(p.writer, w ? member : owner, roomId, `w${w}-${k}`);
            await tick();
          }
        }),
      );
      const settled = await Promise.allSettled([...senders, flapper]);
      t.equal(settled.filter((s) => s.status === 'rejected').length, 0, 'every send succeeded');
      t.ok(busA.refused > 0, 'one process could not publish for a while');
      for (const [i, roomId] of rooms.entries()) {
        const head = await headOf(db, roomId);
        await waitFor(`room ${i} on the bus`, () => new Set(busA.seqsOf(roomId)).size >= head);
        t.same(firstSeen(busA.seqsOf(roomId)), range(head), `room ${i}: first deliveries 1..head in order`);
      }
    });
  });
}
