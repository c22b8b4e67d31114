// Search indexing cost, per event (one `index` request each, the path before bulk indexing)
// against one `_bulk` request per consumed batch (EsMessageIndex.applyBatch), on the real node:
//
//   ELASTICSEARCH_URL=http://127.0.0.1:39200 npx tsx loadtest/search-bulk-index.ts [--events 4000] [--batch 200] [--rounds 2]
//
// Same synthetic timeline for both (rooms × posts, ~10 % edits, ~5 % deletes), each run on a
// fresh index. Per event: Elasticsearch CPU (utime+stime of its process from /proc, when it
// runs on this machine; else `_nodes/stats/process`), HTTP requests to Elasticsearch
// (client diagnostics) and wall time. Rounds alternate the modes; the median is reported.
// Writes loadtest/results/<date>-search-bulk-index-b<batch>.{json,md}.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import type { MessageView, TimelineEvent } from '../shared/src/events/timeline-events';
import { EsMessageIndex } from '../services/search/src/es-message-index';

const { values } = parseArgs({ options: { events: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' }, rooms: { type: 'string' } } });
const EVENTS = Number(values.events ?? 4000);
const BATCH = Number(values.batch ?? 200);
const ROUNDS = Number(values.rounds ?? 2);
const ROOMS = Number(values.rooms ?? 20);
const url = process.env.ELASTICSEARCH_URL;
if (!url) throw new Error('ELASTICSEARCH_URL is required');

const words = ['서버가', '죽었어요', '채팅', 'hello', 'world', '점검', 'deploy', '배포', 'kafka', '검색', 'ok', '확인했습니다'];
function timeline(): TimelineEvent[] {
  const seqs = new Map<string, number>();
  const rooms = Array.from({ length: ROOMS }, () => randomUUID());
  const live: MessageView[] = [];
  const out: TimelineEvent[] = [];
  for (let i = 0; out.length < EVENTS; i++) {
    const roomId = rooms[i % ROOMS]!;
    const seq = (seqs.get(roomId) ?? 0) + 1;
    seqs.set(roomId, seq);
    const occurredAt = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    const body = Array.from({ length: 3 + (i % 8) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');
    const pick = live.filter((m) => m.roomId === roomId).at(-1 - (i % 3));
    if (pick && i % 10 === 3) {
      out.push({ type: 'message.edited', seq, roomId, actorId: pick.senderId, occurredAt, message: { ...pick, body: `${body} (edited)`, editedAt: occurredAt } });
    } else if (pick && i % 20 === 7) {
      out.push({ type: 'message.deleted', seq, roomId, actorId: pick.senderId, occurredAt, messageId: pick.id });
      live.splice(live.indexOf(pick), 1);
    } else {
      const message: MessageView = { id: randomUUID(), roomId, seq, senderId: 'u1', clientMsgId: `c${i}`, body, createdAt: occurredAt, editedAt: null, deleted: false };
      live.push(message);
      out.push({ type: 'message.posted', seq, roomId, actorId: 'u1', occurredAt, message });
    }
  }
  return out;
}

async function esPid(client: Client): Promise<number | undefined> {
  const info = (await client.nodes.info({ metric: 'process' })) as unknown as { nodes: Record<string, { process?: { id?: number } }> };
  return Object.values(info.nodes)[0]?.process?.id;
}

/** Elasticsearch CPU so far, in ms. */
async function esCpuMs(client: Client, pid: number | undefined): Promise<number> {
  if (pid) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, clock ticks (100 Hz)
    } catch {
      // not on this machine
    }
  }
  const s = (await client.nodes.stats({ metric: 'process' })) as unknown as { nodes: Record<string, { process: { cpu: { total_in_millis: number } } }> };
  return Object.values(s.nodes)[0]!.process.cpu.total_in_millis;
}

interface Run {
  mode: 'per-event' | 'bulk';
  events: number;
  requests: number;
  bulkRequests: number;
  esCpuMs: number;
  wallMs: number;
  docs: number;
  /** sha256 of the final documents (body, deleted, seq by id): equal for both modes. */
  state: string;
}

async function run(mode: Run['mode'], events: TimelineEvent[], pid: number | undefined): Promise<Run> {
  const name = `loadtest-bulk-${randomUUID().slice(0, 8)}`;
  const client = new Client({ node: url!, requestTimeout: 30_000 });
  let requests = 0;
  let bulkRequests = 0;
  client.diagnostic.on('request', (_e, meta) => {
    requests++;
    if (meta?.meta.request.params.path.endsWith('/_bulk')) bulkRequests++;
  });
  const index = new EsMessageIndex(client, name);
  await index.ensureIndex();
  await new Promise((r) => setTimeout(r, 1500)); // let index creation settle out of the measurement
  requests = 0;
  bulkRequests = 0;
  const cpu0 = await esCpuMs(client, pid);
  const t0 = performance.now();
  if (mode === 'per-event') for (const e of events) await index.apply(e);
  else for (let i = 0; i < events.length; i += BATCH) {
    const failures = await index.applyBatch(events.slice(i, i + BATCH));
    if (failures.length > 0) throw failures[0]!.error;
  }
  const wallMs = performance.now() - t0;
  const measured = requests;
  const bulks = bulkRequests;
  const cpu1 = await esCpuMs(client, pid);
  await index.refresh();
  const dump = await index.dump();
  const docs = Object.keys(dump).length;
  const state = createHash('sha256').update(JSON.stringify(Object.keys(dump).sort().map((id) => [id, dump[id]]))).digest('hex').slice(0, 16);
  await client.indices.delete({ index: name });
  await index.close();
  return { mode, events: events.length, requests: measured, bulkRequests: bulks, esCpuMs: Math.round(cpu1 - cpu0), wallMs: Math.round(wallMs), docs, state };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const probe = new Client({ node: url });
const pid = await esPid(probe);
await probe.close();
const events = timeline();
const runs: Run[] = [];
for (let r = 0; r < ROUNDS; r++) for (const mode of r % 2 === 0 ? (['per-event', 'bulk'] as const) : (['bulk', 'per-event'] as const)) {
  const x = await run(mode, events, pid);
  runs.push(x);
  console.log(JSON.stringify(x));
}
const summary = (['per-event', 'bulk'] as const).map((mode) => {
  const rs = runs.filter((x) => x.mode === mode);
  return {
    mode,
    requestsPerEvent: +(median(rs.map((x) => x.requests)) / EVENTS).toFixed(4),
    esCpuMsPerEvent: +(median(rs.map((x) => x.esCpuMs)) / EVENTS).toFixed(3),
    wallMsPerEvent: +(median(rs.map((x) => x.wallMs)) / EVENTS).toFixed(3),
    eventsPerSecond: Math.round(EVENTS / (median(rs.map((x) => x.wallMs)) / 1000)),
    docs: rs[0]!.docs,
    state: [...new Set(rs.map((x) => x.state))].join(','),
  };
});
const date = new Date().toISOString().slice(0, 10);
const out = { date, command: `ELASTICSEARCH_URL=… npx tsx loadtest/search-bulk-index.ts --events ${EVENTS} --batch ${BATCH} --rounds ${ROUNDS} --rooms ${ROOMS}`, esCpuSource: pid ? `/proc/${pid}/stat` : '_nodes/stats/process', events: EVENTS, batch: BATCH, rooms: ROOMS, runs, summary };
const md = [
  `# Search indexing: per event vs one _bulk per batch (${date})`,
  '',
  `\`${out.command}\` — ${EVENTS} timeline events (${ROOMS} rooms; posts, ~10 % edits, ~5 % deletes), batches of ${BATCH}, median of ${ROUNDS} run(s) per mode, ES CPU from ${out.esCpuSource}.`,
  '',
  '| mode | ES requests / event | ES CPU ms / event | wall ms / event | events/s (one writer) | docs | final state (sha256) |',
  '|---|---|---|---|---|---|---|',
  ...summary.map((s) => `| ${s.mode} | ${s.requestsPerEvent} | ${s.esCpuMsPerEvent} | ${s.wallMsPerEvent} | ${s.eventsPerSecond} | ${s.docs} | ${s.state} |`),
  '',
].join('\n');
writeFileSync(`loadtest/results/${date}-search-bulk-index-b${BATCH}.json`, JSON.stringify(out, null, 2) + '\n');
writeFileSync(`loadtest/results/${date}-search-bulk-index-b${BATCH}.md`, md);
console.log(md);
