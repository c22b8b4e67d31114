// npx tsx loadtest/ws-scale-share.ts [--rooms 12] [--messages 10] [--instances 1,2,3]
// At a fixed load, how many room events each ws instance receives as ws instances are added (issue 12, "Scale").
// Per instance count n: a Phase 3 cluster with n ws instances; one subscriber per room, room i's subscriber on
// instance i % n (each instance serves rooms/n of the rooms); every room gets the same messages; then each
// instance's ws_room_events_received_total is read from its /metrics. Needs DATABASE_URL (mysql), REDIS_URL,
// KAFKA_BROKERS, ELASTICSEARCH_URL. Prints a table and saves loadtest/results/<date>-ws-scale-share.{json,md}.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Phase3Cluster } from '../shared/src/testing/phase3-cluster';
import { api, sleep } from '../test/blackbox/client';
import { WsClient } from '../test/blackbox/ws-client';

const { values } = parseArgs({ options: { rooms: { type: 'string', default: '12' }, messages: { type: 'string', default: '10' }, instances: { type: 'string', default: '1,2,3' } } });
const [rooms, messages] = [Number(values.rooms), Number(values.messages)];
const counts = values.instances!.split(',').map(Number);

const received = (cluster: Phase3Cluster, name: string) => cluster.metric(name, 'ws_room_events_received_total');

const rows: { instances: number; perInstance: number[]; total: number; expected: number }[] = [];
for (const n of counts) {
  const cluster = new Phase3Cluster({ shape: { ws: n, message: 1, search: 1, notification: 1 } });
  try {
    await cluster.start();
    const a = api(await cluster.baseUrl);
    const [owner, member] = await a.users(2);
    const ids = [];
    for (let i = 0; i < rooms; i++) ids.push((await a.group(owner!, [member!.user.id], `share ${i}`)).id);
    const wsNames = cluster.names.filter((x) => x.startsWith('ws-'));
    const sockets = await Promise.all(ids.map(async (roomId, i) => {
      const c = await WsClient.ready(await cluster.service(wsNames[i % n]!).wsUrl, member!.accessToken);
      await c.subscribe(roomId);
      return c;
    }));
    const before = await Promise.all(wsNames.map((w) => received(cluster, w)));
    for (let m = 0; m < messages; m++) await Promise.all(ids.map((roomId) => a.post(owner!, roomId, `m${m}`)));
    await sleep(2000);
    const perInstance = (await Promise.all(wsNames.map((w) => received(cluster, w)))).map((v, i) => v - before[i]!);
    rows.push({ instances: n, perInstance, total: perInstance.reduce((s, v) => s + v, 0), expected: rooms * messages });
    console.log(`${n} ws instance(s): room events received per instance ${perInstance.join(' / ')} (sent ${rooms * messages})`);
    sockets.forEach((c) => c.terminate());
  } finally {
    await cluster.stop();
  }
}
const date = new Date().toISOString().slice(0, 10);
const md = ['| ws instances | room events received, per instance | sum | events sent |', '|---|---|---|---|', ...rows.map((r) => `| ${r.instances} | ${r.perInstance.join(' / ')} | ${r.total} | ${r.expected} |`)].join('\n');
writeFileSync(`loadtest/results/${date}-ws-scale-share.json`, JSON.stringify({ rooms, messages, rows }, null, 2));
writeFileSync(`loadtest/results/${date}-ws-scale-share.md`, `${md}\n\nCommand: npx tsx loadtest/ws-scale-share.ts --rooms ${rooms} --messages ${messages} --instances ${counts.join(',')}\n`);
console.log(md);
process.exit(0);
