// npx tsx loadtest/writer-rate.ts: the room writer alone (no HTTP/WS), open-loop RATE msgs/s over ROOMS rooms for 5 s, on SQLite and (with DATABASE_URL=mysql://…) MariaDB.
// COMMITS / LANES / OVERLAP override the writer's transactions in flight , rooms per transaction and overlapAfterMs.
// Prints latency and CPU per message: this process (its threads included) and, on MariaDB, the server's.
import { randomUUID } from 'node:crypto';
import { InMemoryEventBus } from '../shared/src/events/in-memory-event-bus';
import { OutboxRelay } from '../shared/src/events/outbox-relay';
import { InProcessRoomCache } from '../shared/src/cache/in-process-room-cache';
import { newId, systemClock } from '../shared/src/kernel/ids';
import { testDatabases } from '../shared/src/testing/databases';
import { RoomWriter } from '../services/message/src/room-writer';
import { pidListeningOn, readProc } from './runner/proc';
const RATE = Number(process.env.RATE ?? 2000), SECS = 5, ROOMS = Number(process.env.ROOMS ?? 100);
for (const engine of testDatabases()) {
  const db = await engine.open();
  const writer = new RoomWriter({ db, relay: new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined }), cache: new InProcessRoomCache(), newId, clock: systemClock, ...(process.env.COMMITS ? { maxConcurrentCommits: Number(process.env.COMMITS) } : {}), ...(process.env.LANES ? { maxLanesPerCommit: Number(process.env.LANES) } : {}), ...(process.env.OVERLAP ? { overlapAfterMs: Number(process.env.OVERLAP) } : {}) });
  const owner = randomUUID();
  const rooms: string[] = [];
  for (let i = 0; i < ROOMS; i++) { const r = await writer.execute({ type: 'createRoom', actorId: owner, roomType: 'group', name: 'b', memberIds: [] }); if (r.type === 'room') rooms.push(r.room.id); }
  const dbPid = engine.name === 'mysql' ? pidListeningOn(Number(new URL(process.env.DATABASE_URL!).port || 3306)) : undefined;
  const dbCpu = () => (dbPid ? readProc(dbPid)?.cpuSeconds ?? 0 : 0);
  const cpu0 = process.cpuUsage(); const db0 = dbCpu();
  const lat: number[] = []; const pending: Promise<unknown>[] = [];
  const t0 = performance.now(); const total = RATE * SECS;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now(); if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(writer.execute({ type: 'postMessage', actorId: owner, roomId: rooms[i % ROOMS]!, clientMsgId: `c${i}`, body: `m${i}` }).then(() => lat.push(performance.now() - due)));
  }
  await Promise.all(pending);
  const secs = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0); const nodeCpuMsPerMsg = (used.user + used.system) / 1000 / total; const dbCpuMsPerMsg = ((dbCpu() - db0) * 1000) / total;
  lat.sort((a, b) => a - b);
  console.log(JSON.stringify({ engine: engine.name, offered: RATE, rooms: ROOMS, achieved: Math.round(total / secs), p50ms: +lat[total / 2]!.toFixed(1), p99ms: +lat[Math.floor(total * 0.99)]!.toFixed(1), nodeCpuMsPerMsg: +nodeCpuMsPerMsg.toFixed(3), dbCpuMsPerMsg: +dbCpuMsPerMsg.toFixed(3) }));
  await db.close();
}
