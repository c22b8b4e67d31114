/**
 * CPU per event of the two Kafka clients of the event bus, in one process,
 * against one broker: kafkajs (KafkaEventBus) and @platformatic/kafka
 * (PlatformaticKafkaEventBus). docs/adr/0013-kafka-client.md
 *
 *   eval "$(SERVICES_DIR=$PWD/.services-bench SERVICES_KAFKA_PORT=59092 bash scripts/services.sh up kafka)"
 *   SERVICES_DIR=$PWD/.services-bench npx tsx loadtest/kafka-client-bench.ts [--events 50000] [--batch 100]
 *     [--rooms 100] [--size 300] [--reps 3] [--warmup 5000] [--handler batch|event] [--out loadtest/results/<file>.json]
 *
 * Per run, on fresh topics: publish `events` envelopes of ~`size` bytes, keys
 * spread over `rooms` rooms, in publishes of `batch` events awaited one after
 * the other (the outbox relay's shape: one page of rows at a time); then one
 * new group (fromBeginning, a batch handler, the production tuning) consumes
 * them all (`--handler event`: through the per-event handler). Produce and consume are measured apart: process.cpuUsage() of this
 * process per event, wall time, and the broker's CPU (utime+stime from
 * /proc/<pid>/stat; pid from KAFKA_BROKER_PID or $SERVICES_DIR/kafka/run/pid).
 * The consumer checks every event arrives, in order per room. Each client gets
 * one unmeasured warm-up run, then `reps` measured runs, alternating which
 * client goes first.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { EventEnvelope } from '../shared/src/events/event-envelope';
import { connectKafkaEventBus, type KafkaBus, type KafkaClientName } from '../shared/src/events/kafka-bus-factory';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '100' },
    rooms: { type: 'string', default: '100' },
    size: { type: 'string', default: '300' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5000' },
    handler: { type: 'string', default: 'batch' },
    out: { type: 'string' },
  },
});
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const ROOMS = Number(values.rooms);
const SIZE = Number(values.size);
const REPS = Number(values.reps);
const WARMUP = Number(values.warmup);
/** batch: the group consumes through handleBatch (search's way); event: through the per-event handler only (notification, ws). */
const HANDLER = values.handler === 'event' ? 'event' : 'batch';
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) {
  console.error('KAFKA_BROKERS is required (see the header)');
  process.exit(78);
}
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLIENTS: readonly KafkaClientName[] = ['kafkajs', 'platformatic'];
const CLK_TCK = 100; // Linux USER_HZ

function brokerPid(): number | undefined {
  if (process.env.KAFKA_BROKER_PID) return Number(process.env.KAFKA_BROKER_PID);
  const dir = process.env.SERVICES_DIR ?? join(ROOT, '.services');
  try {
    return Number(readFileSync(join(dir, 'kafka', 'run', 'pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
}
const BROKER_PID = brokerPid();

/** The broker's CPU so far (user + system), in microseconds. */
function brokerCpuUs(): number {
  if (!BROKER_PID) return Number.NaN;
  const stat = readFileSync(`/proc/${BROKER_PID}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": state is field 3, utime 14, stime 15 → indexes 11, 12 here.
  return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1e6;
}

const processCpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** A message.posted envelope of about SIZE bytes of JSON. */
function makeEvents(n: number, rooms: string[]): EventEnvelope[] {
  const seq = new Map<string, number>();
  const senderId = randomUUID();
  const probe = JSON.stringify({ id: randomUUID(), type: 'message.posted', version: 1, key: rooms[0], occurredAt: new Date().toISOString(), payload: { roomId: rooms[0], seq: 100000, messageId: randomUUID(), senderId, body: '' } });
  const body = 'x'.repeat(Math.max(0, SIZE - probe.length));
  const out: EventEnvelope[] = [];
  for (let i = 0; i < n; i++) {
    const roomId = rooms[i % rooms.length]!;
    const s = (seq.get(roomId) ?? 0) + 1;
    seq.set(roomId, s);
    out.push({ id: randomUUID(), type: 'message.posted', version: 1, key: roomId, occurredAt: new Date().toISOString(), payload: { roomId, seq: s, messageId: randomUUID(), senderId, body } });
  }
  return out;
}

interface Phase {
  wallMs: number;
  cpuUsPerEvent: number;
  brokerCpuUsPerEvent: number;
}
interface RunResult {
  client: KafkaClientName;
  rep: number;
  events: number;
  /** 1-minute load average of the machine when the run ended (other processes compete for the same CPUs). */
  loadAverage: number;
  produce: Phase;
  consume: Phase & { orderViolations: number; duplicates: number };
}

function phase(events: number, wall0: number, cpu0: number, broker0: number): Phase {
  return {
    wallMs: Math.round(performance.now() - wall0),
    cpuUsPerEvent: (processCpuUs() - cpu0) / events,
    brokerCpuUsPerEvent: (brokerCpuUs() - broker0) / events,
  };
}

const topics = [
  { name: 'room', partitions: 12, config: { 'cleanup.policy': 'delete', 'retention.ms': '3600000' } },
  { name: 'room.dlq', partitions: 3 },
];
const prefixes: string[] = [];

async function runOnce(client: KafkaClientName, rep: number, n: number): Promise<RunResult> {
  const prefix = `bench-${client}-${randomUUID().slice(0, 8)}.`;
  prefixes.push(prefix);
  const rooms = Array.from({ length: ROOMS }, () => randomUUID());
  const events = makeEvents(n, rooms);
  const options = { brokers, clientId: `kafka-client-bench-${client}`, topicPrefix: prefix, topics, logLevel: logLevel.WARN, logger: { warn: (o: object, m: string) => console.warn(`[${client}] ${m}`, JSON.stringify(o)) } };
  const bus: KafkaBus = await connectKafkaEventBus(options, client);
  try {
    // ---- produce ----
    global.gc?.();
    let wall0 = performance.now();
    let cpu0 = processCpuUs();
    let broker0 = brokerCpuUs();
    for (let i = 0; i < events.length; i += BATCH) await bus.publish(events.slice(i, i + BATCH));
    const produce = phase(n, wall0, cpu0, broker0);

    // ---- consume ----
    const last = new Map<string, number>();
    let received = 0;
    let orderViolations = 0;
    let duplicates = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const see = (e: EventEnvelope) => {
      const s = (e.payload as { seq: number }).seq;
      const prev = last.get(e.key) ?? 0;
      if (s <= prev) duplicates++;
      else {
        if (s !== prev + 1) orderViolations++;
        last.set(e.key, s);
        received++;
      }
      if (received === n) done();
    };
    global.gc?.();
    wall0 = performance.now();
    cpu0 = processCpuUs();
    broker0 = brokerCpuUs();
    const sub = await bus.subscribe({
      group: `bench-${randomUUID()}`,
      topics: ['room'],
      handler: async (e) => see(e),
      ...(HANDLER === 'batch'
        ? {
            handleBatch: async (batch: readonly EventEnvelope[]) => {
              for (const e of batch) see(e);
            },
          }
        : {}),
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`consume: ${received}/${n} after 300 s`)), 300_000)))]);
    clearTimeout(timer);
    const consume = { ...phase(n, wall0, cpu0, broker0), orderViolations, duplicates };
    await sub.close();
    return { client, rep, events: n, loadAverage: Number(loadavg()[0]!.toFixed(2)), produce, consume };
  } finally {
    await bus.close();
  }
}

async function cleanup(): Promise<void> {
  const admin = new Kafka({ clientId: 'kafka-client-bench-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const names = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (names.length > 0) await admin.deleteTopics({ topics: names, timeout: 30_000 });
    prefixes.length = 0;
  } catch (err) {
    console.warn('cleanup failed', err);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const results: RunResult[] = [];
console.error(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
console.error(`kafka-client-bench: ${EVENTS} events of ~${SIZE} B, publishes of ${BATCH}, ${ROOMS} rooms, ${HANDLER} handler, ${REPS} reps, broker pid ${BROKER_PID ?? 'unknown'}, node ${process.version}`);
for (const client of CLIENTS) {
  if (WARMUP > 0) {
    await runOnce(client, 0, WARMUP);
    console.error(`warm-up ${client} done`);
  }
}
await cleanup();
for (let rep = 1; rep <= REPS; rep++) {
  const order = rep % 2 === 1 ? CLIENTS : [...CLIENTS].reverse();
  for (const client of order) {
    const r = await runOnce(client, rep, EVENTS);
    results.push(r);
    console.error(
      `rep ${rep} ${client}: produce ${fmt(r.produce.cpuUsPerEvent)} µs/event (${r.produce.wallMs} ms), consume ${fmt(r.consume.cpuUsPerEvent)} µs/event (${r.consume.wallMs} ms), ` +
        `broker ${fmt(r.produce.brokerCpuUsPerEvent)}/${fmt(r.consume.brokerCpuUsPerEvent)} µs/event, order violations ${r.consume.orderViolations}, duplicates ${r.consume.duplicates}`,
    );
    await cleanup();
  }
}

const summary = CLIENTS.map((client) => {
  const rs = results.filter((r) => r.client === client);
  const m = (f: (r: RunResult) => number) => median(rs.map(f));
  return {
    client,
    runs: rs.length,
    produceCpuUsPerEvent: m((r) => r.produce.cpuUsPerEvent),
    produceWallMs: m((r) => r.produce.wallMs),
    produceEventsPerSecond: m((r) => (r.events / r.produce.wallMs) * 1000),
    produceBrokerCpuUsPerEvent: m((r) => r.produce.brokerCpuUsPerEvent),
    consumeCpuUsPerEvent: m((r) => r.consume.cpuUsPerEvent),
    consumeWallMs: m((r) => r.consume.wallMs),
    consumeEventsPerSecond: m((r) => (r.events / r.consume.wallMs) * 1000),
    consumeBrokerCpuUsPerEvent: m((r) => r.consume.brokerCpuUsPerEvent),
    orderViolations: rs.reduce((a, r) => a + r.consume.orderViolations, 0),
    duplicates: rs.reduce((a, r) => a + r.consume.duplicates, 0),
  };
});

const lines = [
  `| client | produce CPU µs/event | produce wall ms (events/s) | broker CPU µs/event (produce) | consume CPU µs/event | consume wall ms (events/s) | broker CPU µs/event (consume) | order violations / duplicates |`,
  `|---|---|---|---|---|---|---|---|`,
  ...summary.map(
    (s) =>
      `| ${s.client} | ${fmt(s.produceCpuUsPerEvent)} | ${fmt(s.produceWallMs, 0)} (${fmt(s.produceEventsPerSecond, 0)}) | ${fmt(s.produceBrokerCpuUsPerEvent)} | ${fmt(s.consumeCpuUsPerEvent)} | ${fmt(s.consumeWallMs, 0)} (${fmt(s.consumeEventsPerSecond, 0)}) | ${fmt(s.consumeBrokerCpuUsPerEvent)} | ${s.orderViolations} / ${s.duplicates} |`,
  ),
];
console.log(`Medians of ${REPS} runs each, ${EVENTS} events of ~${SIZE} B, publishes of ${BATCH}, ${ROOMS} rooms, ${HANDLER} handler:\n`);
console.log(lines.join('\n'));
console.log('\nPer run:\n');
console.log(`| rep | client | produce CPU µs/event | produce wall ms | consume CPU µs/event | consume wall ms | broker µs/event produce / consume | load avg |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const r of results) {
  console.log(`| ${r.rep} | ${r.client} | ${fmt(r.produce.cpuUsPerEvent)} | ${r.produce.wallMs} | ${fmt(r.consume.cpuUsPerEvent)} | ${r.consume.wallMs} | ${fmt(r.produce.brokerCpuUsPerEvent)} / ${fmt(r.consume.brokerCpuUsPerEvent)} | ${r.loadAverage} |`);
}

const out = values.out ?? join(ROOT, 'loadtest', 'results', `${new Date().toISOString().slice(0, 10)}-kafka-client-bench${HANDLER === 'event' ? '-event-handler' : ''}.json`);
mkdirSync(dirname(out), { recursive: true });
const versions = {
  node: process.version,
  kafkajs: JSON.parse(readFileSync(join(ROOT, 'node_modules', 'kafkajs', 'package.json'), 'utf8')).version as string,
  platformatic: JSON.parse(readFileSync(join(ROOT, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8')).version as string,
};
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, params: { events: EVENTS, batch: BATCH, rooms: ROOMS, size: SIZE, reps: REPS, warmup: WARMUP, handler: HANDLER }, versions, brokers, summary, runs: results }, null, 2) + '\n');
console.error(`saved ${out}`);
