// npx tsx loadtest/writer-rate.ts: the room writer alone (no HTTP/WS), open-loop RATE msgs/s over ROOMS rooms for 5 s, on SQLite and (with DATABASE_URL=mysql://…) MariaDB.
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '../shared/src/events/in-memory-event-bus';
import { OutboxRelay } from '../shared/src/events/outbox-relay';
import { InProcessRoomCache } from '../shared/src/cache/in-process-room-cache';
import { newId, systemClock } from '../shared/src/kernel/ids';
import { testDatabases } from '../shared/src/testing/databases';
import { RoomWriter } from '../services/message/src/room-writer';
const RATE = Number(process.env.RATE ?? 2000), SECS = 5, ROOMS = Number(process.env.ROOMS ?? 100);
for (const engine of testDatabases()) {
  const db = await engine.open();
  const writer = new RoomWriter({ db, relay: new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined }), cache: new InProcessRoomCache(), newId, clock: systemClock });
  const owner = randomUUID();
  const rooms: string[] = [];
  for (let i = 0; i < ROOMS; i++) { const r = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: 'b', memberIds: [] }); if (r.type === 'room') rooms.push(r.room.id); }
  const lat: number[] = []; const pending: Promise<unknown>[] = [];
  const t0 = performance.now(); const total = RATE * SECS;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now(); if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(writer.execute({ type: 'postMessage', actorId: owner, roomId: rooms[i % ROOMS]!, clientMsgId: `c${i}`, body: `m${i}` }).then(() => lat.push(performance.now() - due)));
  }
  await Promise.all(pending);
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  console.log(JSON.stringify({ engine: engine.name, offered: RATE, rooms: ROOMS, achieved: Math.round(total / secs), p50ms: +lat[total / 2]!.toFixed(1), p99ms: +lat[Math.floor(total * 0.99)]!.toFixed(1) }));
  await db.close();
}
