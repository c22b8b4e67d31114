// The `ladder` scenario: the k6 users.js ramp (100 → 500 → 1,000 → 5,000 →
// 10,000 users) on the Node runner. Each virtual user holds one authenticated
// WebSocket subscribed to its room of `roomSize`, sends over it at
// `userMsgRate` msgs/s (open loop, users spread by phase, latencies from the
// intended time) and reads a history page about every `historyEveryS` s.
// A step ramps connections up at `connectRate`/s, settles, then measures.
import { LatencyRecorder, nowMs } from './latency';
import { Monitor, type Sample } from './monitor';
import { accountOfUser, planLadder, roomMembers, roomOfUser, spreadSchedule, type LadderConfig, type PlannedStep } from './ladder-plan';
import { parseGauges, stepRow, type ServerGauges, type StepRow } from './ladder-summary';
import { drain, openLoop, users as userPool, type Sender } from './scenarios';
import { LoadStats, instrument, type SubscriberCheck } from './stats';
import type { ClientConn, SystemUnderTest, UserRef } from './types';

/** What the ladder measured: a row and a per-second timeline per step run. */
export interface LadderOutcome {
  readonly rows: StepRow[];
  readonly timelines: Sample[][];
  /** Seconds spent registering the account pool. */
  readonly setupSeconds: number;
  readonly notes: string[];
}

/** Where the ladder reads the server's own gauges, and whose CPU it sums. */
export interface LadderProbe {
  readonly serverPids: readonly number[];
  /** /metrics endpoints, summed (Phase 3: one per service). */
  readonly metricsUrls: readonly string[];
}

interface VirtualUser {
  readonly conn: ClientConn;
  readonly user: UserRef;
  readonly roomId: string;
  check: SubscriberCheck;
}

const log = (msg: string): void => console.error(`[ladder] ${msg}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const HISTORY_PAGE = 50;

export async function runLadder(sut: SystemUnderTest, cfg: LadderConfig, probe: LadderProbe): Promise<LadderOutcome> {
  if (cfg.historyEveryS > 0 && !sut.readHistory) throw new Error(`${sut.name} has no history read; use --history-every 0`);
  const setupStart = performance.now();
  const pool = await userPool(sut, Math.min(cfg.users, cfg.steps.at(-1)!));
  const setupSeconds = (performance.now() - setupStart) / 1000;
  const notes: string[] = [];
  if (pool.length < cfg.roomSize) notes.push(`rooms of ${cfg.roomSize} sockets come from ${pool.length} distinct members (the pool is smaller than a room)`);
  else notes.push(`virtual users share ${pool.length} registered accounts round-robin (at ${cfg.steps.at(-1)} users, ${Math.ceil(cfg.steps.at(-1)! / pool.length)} sockets per account, each in its own room of ${cfg.roomSize})`);
  const roomIds: string[] = [];
  const vus: (VirtualUser | undefined)[] = [];
  const rows: StepRow[] = [];
  const timelines: Sample[][] = [];
  let stats = new LoadStats();
  for (const step of planLadder(cfg)) {
    stats = new LoadStats();
    stats.tag = `lt${Date.now().toString(36)}s${step.index}`;
    const sends = spreadSchedule(step.users, cfg.userMsgRate);
    const roomOfMsg = (i: number): string => vus[sends.userOf(i)]?.roomId ?? '';
    // Sockets from earlier steps report to this step's counters from now on; their seq positions carry over.
    for (const vu of vus) if (vu) vu.check = reinstrument(vu, stats, roomOfMsg);
    log(`step ${step.index + 1}: ${step.users} users in ${step.rooms} rooms; opening ${step.newConnections} sockets`);
    await createRooms(sut, pool, roomIds, step.rooms, cfg.roomSize);
    const rampStart = performance.now();
    const connects = await ramp(sut, step, cfg, pool, roomIds, vus, stats, roomOfMsg);
    const rampSeconds = (performance.now() - rampStart) / 1000;
    await sleep(cfg.settleSeconds * 1000);
    const socketsOf = new Map<string, number>();
    for (const vu of vus) if (vu) socketsOf.set(vu.roomId, (socketsOf.get(vu.roomId) ?? 0) + 1);
    log(`step ${step.index + 1}: ${vus.filter(Boolean).length} sockets subscribed; sending ${sends.rate.toFixed(1)} msgs/s for ${cfg.stepSeconds} s`);

    const monitor = new Monitor(stats, probe.serverPids);
    monitor.start();
    const gauges = watchGauges(probe.metricsUrls);
    const reads = startHistoryReads(sut, step.users, cfg.historyEveryS, vus);
    const sender: Sender = {
      send(i, roomId, body) {
        const vu = vus[sends.userOf(i)];
        if (vu) vu.conn.send(roomId, `${stats.tag}-${i}`, body);
        else stats.error('send:no-socket');
      },
    };
    const windowEnd = performance.now() + cfg.stepSeconds * 1000;
    await openLoop(stats, sends.rate, cfg.stepSeconds, roomOfMsg, sender);
    // The last send is due 1/rate before the window ends: CPU and rates are over the whole step, unless it was cut short.
    if (stats.abortedAtS === undefined) await sleep(Math.max(0, windowEnd - performance.now()));
    const totals = monitor.stop();
    const serverGauges = await gauges.stop();
    const history = await reads.stop();
    // Expected deliveries: every acked message (noteAck zeroes its intended time) times its room's sockets.
    const expected = (): number => {
      let n = 0;
      for (let i = 0; i < stats.sent; i++) if (stats.intended[i] === 0) n += socketsOf.get(roomOfMsg(i)) ?? 0;
      return n;
    };
    await drain(stats, expected, 10_000);
    let undelivered = 0;
    for (const vu of vus) if (vu) undelivered += vu.check.tailLoss();
    const rss = monitor.samples.map((s) => s.serverRssMb).filter((v): v is number => v !== undefined);
    const row = stepRow({
      users: step.users,
      rooms: step.rooms,
      connected: socketsOf.size === 0 ? 0 : [...socketsOf.values()].reduce((a, b) => a + b, 0),
      rampSeconds,
      measureSeconds: totals.seconds,
      userMsgRate: cfg.userMsgRate,
      connects: { ...connects, latency: stats.connect.summary() },
      sent: stats.sent,
      acked: stats.acked,
      ackSpanMs: stats.lastAckAt - stats.firstSendAt,
      delivered: stats.delivered,
      expectedDeliveries: expected(),
      lost: stats.lost,
      duplicated: stats.duplicated,
      undelivered,
      errors: Object.fromEntries(stats.errors),
      deliver: stats.deliver.summary(),
      ack: stats.ack.summary(),
      schedulerLag: stats.sendLag.summary(),
      history,
      ...(stats.abortedAtS !== undefined ? { abortedAtS: stats.abortedAtS } : {}),
      backlogCap: Math.max(1000, sends.rate * 2),
      server: { ...(totals.serverCpuSeconds !== undefined ? { cpuSeconds: totals.serverCpuSeconds } : {}), ...(rss.length ? { rssMaxMb: Math.max(...rss) } : {}) },
      gauges: serverGauges,
      generator: { cpuPct: monitor.samples.map((s) => s.genCpuPct), lagP99Ms: monitor.samples.map((s) => s.genLagP99Ms) },
    });
    rows.push(row);
    timelines.push(monitor.samples);
    log(`step ${step.index + 1}: acked ${row.ackedPerS}/s, deliver p99 ${row.deliverMs.p99} ms, server CPU ${row.serverCpuPct ?? '?'}%, errors ${(row.errorRate * 100).toFixed(2)}%`);
    if (row.stoppedBecause) {
      log(`stopping the ladder at ${step.users} users: ${row.stoppedBecause}`);
      break;
    }
  }
  stats.closing = true;
  for (const vu of vus) vu?.conn.close();
  return { rows, timelines, setupSeconds, notes };
}

function reinstrument(vu: VirtualUser, stats: LoadStats, roomOfMsg: (i: number) => string): SubscriberCheck {
  const next = instrument(vu.conn, stats, roomOfMsg);
  for (const [roomId, seq] of vu.check.lastSeq) next.subscribed(roomId, seq);
  return next;
}

/** Creates rooms up to `count`; room r's members are the accounts of its virtual users. */
async function createRooms(sut: SystemUnderTest, pool: readonly UserRef[], roomIds: string[], count: number, roomSize: number): Promise<void> {
  let next = roomIds.length;
  await Promise.all(
    Array.from({ length: Math.min(16, count - next) }, async () => {
      while (next < count) {
        const r = next++;
        const members = roomMembers(r, roomSize, pool.length).map((k) => pool[k]!);
        roomIds[r] = await sut.createRoom(members[0]!, members.slice(1), `ladder ${r}`);
      }
    }),
  );
}

/**
 * Opens and subscribes the sockets of virtual users [previous step, step.users)
 * at `connectRate`/s, at most 64 at a time; a socket is retried twice before it
 * counts as failed (the virtual user then has none).
 */
async function ramp(
  sut: SystemUnderTest,
  step: PlannedStep,
  cfg: LadderConfig,
  pool: readonly UserRef[],
  roomIds: readonly string[],
  vus: (VirtualUser | undefined)[],
  stats: LoadStats,
  roomOfMsg: (i: number) => string,
): Promise<{ attempts: number; failed: number }> {
  const from = step.users - step.newConnections;
  const t0 = performance.now();
  let next = from;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(64, step.newConnections) }, async () => {
      while (next < step.users) {
        const k = next++;
        const wait = t0 + ((k - from) * 1000) / cfg.connectRate - performance.now();
        if (wait > 0) await sleep(wait);
        const user = pool[accountOfUser(k, pool.length)]!;
        const roomId = roomIds[roomOfUser(k, cfg.roomSize)]!;
        const started = nowMs();
        try {
          const conn = await connectWithRetry(sut, user);
          const check = instrument(conn, stats, roomOfMsg);
          try {
            check.subscribed(roomId, await withTimeout(conn.subscribe(roomId), 10_000, 'subscribe timed out'));
          } catch (err) {
            conn.close();
            throw err;
          }
          vus[k] = { conn, user, roomId, check };
          stats.connect.record(nowMs() - started);
        } catch (err) {
          failed++;
          stats.error(`connect:${(err as Error).message.slice(0, 60)}`);
        }
        if ((k + 1) % 1000 === 0) log(`  ${k + 1} sockets`);
      }
    }),
  );
  if (failed) log(`${failed} of ${step.newConnections} sockets failed`);
  return { attempts: step.newConnections, failed };
}

async function connectWithRetry(sut: SystemUnderTest, user: UserRef): Promise<ClientConn> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sut.connect(user);
    } catch (err) {
      if (attempt >= 2) throw err;
      await sleep(200);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * History reads, open loop: each of `n` users reads one page every `everyS`
 * seconds, users spread by phase; latency from the intended time.
 */
function startHistoryReads(sut: SystemUnderTest, n: number, everyS: number, vus: readonly (VirtualUser | undefined)[]) {
  const latency = new LatencyRecorder();
  let attempts = 0;
  let failed = 0;
  let inFlight = 0;
  let stopped = false;
  const loop = (async () => {
    if (everyS <= 0 || !sut.readHistory) return;
    const read = sut.readHistory.bind(sut);
    const plan = spreadSchedule(n, 1 / everyS);
    const t0 = performance.now();
    let j = 0;
    while (!stopped) {
      const due = Math.floor(((performance.now() - t0) * plan.rate) / 1000) + 1;
      for (; j < due; j++) {
        const intended = performance.timeOrigin + t0 + plan.offsetMs(j);
        const vu = vus[plan.userOf(j)];
        attempts++;
        if (!vu) {
          failed++;
          continue;
        }
        inFlight++;
        read(vu.user, vu.roomId, HISTORY_PAGE).then(
          () => latency.record(nowMs() - intended),
          () => failed++,
        ).finally(() => inFlight--);
      }
      await sleep(5);
    }
  })();
  return {
    /** Stops issuing reads and waits (up to 10 s) for those in flight; unanswered ones count as failed. */
    async stop(): Promise<{ attempts: number; failed: number; latency: ReturnType<LatencyRecorder['summary']> }> {
      stopped = true;
      await loop;
      const end = Date.now() + 10_000;
      while (inFlight > 0 && Date.now() < end) await sleep(20);
      return { attempts, failed: failed + inFlight, latency: latency.summary() };
    },
  };
}

/** Scrapes the server's gauges every 5 s while a step measures, and once at its end. */
function watchGauges(urls: readonly string[]) {
  let inUseMax: number | undefined;
  let waitingMax: number | undefined;
  const scrape = async (): Promise<ReturnType<typeof parseGauges>> => {
    const sum: ReturnType<typeof parseGauges> = {};
    for (const url of urls) {
      const text = await fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => (r.ok ? r.text() : ''), () => '');
      for (const [k, v] of Object.entries(parseGauges(text)) as [keyof typeof sum, number][]) sum[k] = (sum[k] ?? 0) + v;
    }
    if (sum.inUse !== undefined) inUseMax = Math.max(inUseMax ?? 0, sum.inUse);
    if (sum.waiting !== undefined) waitingMax = Math.max(waitingMax ?? 0, sum.waiting);
    return sum;
  };
  const timer = setInterval(() => void scrape(), 5000);
  return {
    async stop(): Promise<ServerGauges> {
      clearInterval(timer);
      const last = await scrape();
      return {
        ...(last.ws !== undefined ? { wsConnections: last.ws } : {}),
        ...(inUseMax !== undefined ? { dbInUseMax: inUseMax } : {}),
        ...(last.idle !== undefined ? { dbIdle: last.idle } : {}),
        ...(waitingMax !== undefined ? { dbWaitingMax: waitingMax } : {}),
      };
    },
  };
}
