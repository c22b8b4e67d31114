// Time per SQL statement of the room writer alone on the embedded store (SQLite):
// 1,000 rooms of 2, 40,000 posts offered at ~10,000/s, every better-sqlite3
// run()/all() timed by its SQL text. Shows where a commit's time goes (fsync of
// COMMIT vs inserts vs lookups).   tsx loadtest/profile/writer-statements.ts
import SQLite from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../shared/src/db/database';
import { InMemoryEventBus } from '../../shared/src/events/in-memory-event-bus';
import { OutboxRelay } from '../../shared/src/events/outbox-relay';
import { InProcessRoomCache } from '../../shared/src/cache/in-process-room-cache';
import { newId, systemClock } from '../../shared/src/kernel/ids';
import { RoomWriter } from '../../services/message/src/room-writer';

const times = new Map<string, { n: number; ms: number }>();
const Statement = new SQLite(':memory:').prepare('select 1').constructor as { prototype: Record<string, (...a: unknown[]) => unknown> };
for (const method of ['run', 'all']) {
  const original = Statement.prototype[method]!;
  Statement.prototype[method] = function (this: { source: string }, ...args: unknown[]) {
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const sql = this.source.replace(/\(\?[?, ()]*\)/g, '(…)').replace(/when \? then \? /gi, '').slice(0, 90);
      const e = times.get(sql) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += performance.now() - started;
      times.set(sql, e);
    }
  };
}

const db = await openDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), 'chat-writer-sql-')), 'chat.db')}`);
const relay = new OutboxRelay(db.kysely, new InMemoryEventBus(), { warn: () => undefined });
relay.start();
const writer = new RoomWriter({ db, relay, cache: new InProcessRoomCache(), newId, clock: systemClock });
const users = Array.from({ length: 2000 }, () => randomUUID());
const rooms: string[] = [];
for (let i = 0; i < 1000; i++) {
  const made = await writer.execute({ type: 'createRoom', actorId: users[2 * i]!, roomType: 'group', name: `r${i}`, memberIds: [users[2 * i + 1]!] });
  if (made.type === 'room') rooms.push(made.room.id);
}
times.clear();
const N = 40_000;
const started = performance.now();
const cpu0 = process.cpuUsage();
await new Promise<void>((done) => {
  let sent = 0;
  let acked = 0;
  const tick = setInterval(() => {
    for (let k = 0; k < 40 && sent < N; k++, sent++) {
      const r = sent % 1000;
      void writer.execute({ type: 'postMessage', actorId: users[2 * r + (sent % 2)]!, roomId: rooms[r]!, clientMsgId: `c${sent}`, body: `message ${sent}` }).then(() => {
        if (++acked === N) {
          clearInterval(tick);
          done();
        }
      });
    }
  }, 4);
});
const cpu = process.cpuUsage(cpu0);
console.log(`${N} posts persisted in ${((performance.now() - started) / 1000).toFixed(2)} s, process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s\n`);
console.log('| ms total | calls | statement |\n|---|---|---|');
for (const [sql, e] of [...times].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`| ${e.ms.toFixed(0)} | ${e.n} | \`${sql}\` |`);
await relay.stop();
await db.close();
