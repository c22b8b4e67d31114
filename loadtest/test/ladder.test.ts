// The ladder's pure parts: its step schedule, how users' sends are spread,
// the step rows and the stop rule, the gauges it reads, and its report.
import t from 'tap';
import type { LatencySummary } from '../runner/latency';
import { LADDER_DEFAULTS, accountOfUser, parseSteps, planLadder, roomMembers, roomOfUser, socketsInRoom, spreadSchedule } from '../runner/ladder-plan';
import { ladderMarkdown, type LadderResult } from '../runner/ladder-report';
import { parseGauges, stepRow, stoppedAt, type StepMeasurement } from '../runner/ladder-summary';
import { ladderSvg } from '../runner/ladder-svg';

t.test('steps parse as increasing positive integers', async (t) => {
  t.same(parseSteps('100, 500,1000'), [100, 500, 1000]);
  t.throws(() => parseSteps(''), /at least one/);
  t.throws(() => parseSteps('100,50'), /increase/);
  t.throws(() => parseSteps('10,abc'), /positive whole/);
  t.throws(() => parseSteps('0'), /positive whole/);
});

t.test('the default plan is the strategy ladder: each step adds what it lacks', async (t) => {
  const plan = planLadder(LADDER_DEFAULTS);
  t.same(plan.map((s) => s.users), [100, 500, 1000, 5000, 10000]);
  t.same(plan.map((s) => s.newConnections), [100, 400, 500, 4000, 5000]);
  t.same(plan.map((s) => s.rooms), [10, 50, 100, 500, 1000]);
  t.same(plan.map((s) => s.offeredPerS), [20, 100, 200, 1000, 2000]);
  t.equal(plan[4]!.rampSeconds, 5000 / LADDER_DEFAULTS.connectRate);
  t.ok(plan.every((s) => s.measureSeconds === 30 && s.settleSeconds === LADDER_DEFAULTS.settleSeconds));
  t.same(planLadder({ ...LADDER_DEFAULTS, steps: [25] }).map((s) => s.rooms), [3], 'a partial last room counts');
});

t.test('each user sends every 1/rate s, and users are spread over that period, not in lockstep', async (t) => {
  const n = 50;
  const s = spreadSchedule(n, 0.2);
  t.equal(s.rate, 10);
  const byUser = new Map<number, number[]>();
  for (let i = 0; i < n * 4; i++) byUser.set(s.userOf(i), [...(byUser.get(s.userOf(i)) ?? []), s.offsetMs(i)]);
  t.equal(byUser.size, n, 'every user sends');
  for (const [u, times] of byUser) {
    t.equal(times.length, 4);
    t.equal(times[0], s.phaseMs(u), 'first send at the user phase');
    for (let k = 1; k < times.length; k++) t.equal(Math.round(times[k]! - times[k - 1]!), 5000, `user ${u} every 5 s`);
  }
  const phases = [...byUser.keys()].map((u) => s.phaseMs(u)).sort((a, b) => a - b);
  t.equal(new Set(phases).size, n, 'no two users share a phase');
  t.ok(phases[0]! >= 0 && phases.at(-1)! < 5000, 'phases within one period');
  phases.slice(1).forEach((p, k) => t.equal(Math.round(p - phases[k]!), 100, 'evenly spaced'));
  // The merged stream is smooth: every second of the period carries rate events.
  for (let sec = 0; sec < 5; sec++) {
    const inSecond = Array.from({ length: n }, (_, i) => s.offsetMs(i)).filter((ms) => ms >= sec * 1000 && ms < (sec + 1) * 1000);
    t.equal(inSecond.length, 10);
  }
});

t.test('virtual users sit in rooms of roomSize, as the room members they sign in as', async (t) => {
  t.equal(roomOfUser(0, 10), 0);
  t.equal(roomOfUser(19, 10), 1);
  for (const pool of [100, 25, 5]) {
    for (let vu = 0; vu < 300; vu++) t.ok(roomMembers(roomOfUser(vu, 10), 10, pool).includes(accountOfUser(vu, pool)));
  }
  t.equal(roomMembers(3, 10, 100).length, 10, 'distinct members when the pool holds a room');
  t.equal(roomMembers(0, 10, 5).length, 5, 'a small pool repeats members');
  t.equal(socketsInRoom(2, 25, 10), 5);
  t.equal(socketsInRoom(0, 25, 10), 10);
});

const lat = (p99: number): LatencySummary => ({ count: 100, p50: p99 / 4, p95: p99 / 2, p99, p999: p99, max: p99, mean: p99 / 4 });

function measurement(over: Partial<StepMeasurement> = {}): StepMeasurement {
  return {
    users: 100,
    rooms: 10,
    connected: 100,
    rampSeconds: 0.4,
    measureSeconds: 30,
    userMsgRate: 0.2,
    connects: { attempts: 100, failed: 0, latency: lat(20) },
    sent: 600,
    acked: 600,
    ackSpanMs: 30_000,
    delivered: 6000,
    expectedDeliveries: 6000,
    lost: 0,
    duplicated: 0,
    undelivered: 0,
    errors: {},
    deliver: lat(8),
    ack: lat(6),
    schedulerLag: lat(2),
    history: { attempts: 50, failed: 0, latency: lat(12) },
    backlogCap: 1000,
    server: { cpuSeconds: 6, rssMaxMb: 150 },
    gauges: { wsConnections: 100, dbInUseMax: 1, dbIdle: 4, dbWaitingMax: 0 },
    generator: { cpuPct: [10, 20], lagP99Ms: [3, 12] },
    ...over,
  };
}

t.test('a step that held: rates, CPU share, error rate and no stop', async (t) => {
  const row = stepRow(measurement({ sent: 600, acked: 597, history: { attempts: 50, failed: 1, latency: lat(12) }, connects: { attempts: 100, failed: 1, latency: lat(20) } }));
  t.equal(row.offeredPerS, 20);
  t.equal(row.sentPerS, 20);
  t.equal(row.ackedPerS, 19.9);
  t.equal(row.serverCpuPct, 20, '6 CPU-s over 30 s');
  t.same(row.failures, { sends: 3, reads: 1, connects: 1 });
  t.equal(row.errorRate, 5 / 750);
  t.equal(row.deliverMs.p99, 8);
  t.equal(row.historyP99Ms, 12);
  t.equal(row.generator.cpuPctAvg, 15);
  t.equal(row.generator.lagP99MaxMs, 12);
  t.same(row.generator.warnings, []);
  t.equal(row.stoppedBecause, undefined, '1 % of connects failing still holds');
  t.equal(stoppedAt([row]), undefined);
});

t.test('the overload rule and failing connections stop the ladder, at the first such step', async (t) => {
  const held = stepRow(measurement());
  const overloaded = stepRow(measurement({ users: 5000, abortedAtS: 12.34, backlogCap: 2000, generator: { cpuPct: [90, 95], lagP99Ms: [70] } }));
  t.match(overloaded.stoppedBecause, /overloaded: sending stopped after 12\.3 s, when 2000 messages/);
  t.equal(overloaded.generator.warnings.length, 2, 'generator CPU and loop lag flagged');
  const refused = stepRow(measurement({ users: 1000, connects: { attempts: 500, failed: 6, latency: lat(20) } }));
  t.match(refused.stoppedBecause, /connections failed: 6 of 500/);
  t.same(stoppedAt([held, refused, overloaded]), { users: 1000, reason: refused.stoppedBecause });
});

t.test('gauges: ws connections and DB pool states, summed over label sets', async (t) => {
  const text = [
    '# HELP ws_connections Open WebSocket connections',
    'ws_connections{service="monolith"} 1234',
    'ws_connections_total_not_this 9',
    'db_pool_connections{service="monolith",state="in_use"} 3',
    'db_pool_connections{service="monolith",state="idle"} 7',
    'db_pool_connections{service="monolith",state="waiting"} 0',
    'db_pool_connections{service="message",state="in_use"} 2',
  ].join('\n');
  t.same(parseGauges(text), { ws: 1234, inUse: 5, idle: 7, waiting: 0 });
  t.same(parseGauges(''), {});
});

t.test('report: one table row per step, and an SVG with both series, axes and legend', async (t) => {
  const steps = [stepRow(measurement()), stepRow(measurement({ users: 500, deliver: lat(15), server: { cpuSeconds: 18 } })), stepRow(measurement({ users: 1000, abortedAtS: 3 }))];
  const r: LadderResult = {
    label: 'embedded-ladder',
    scenario: 'ladder',
    target: 'chat',
    startedAt: '2026-11-28T00:00:00.000Z',
    config: LADDER_DEFAULTS,
    pinning: { server: 'test', generator: 'test' },
    server: { pids: [1], metricsUrls: ['http://127.0.0.1:1/metrics'] },
    setupSeconds: 1,
    steps,
    stoppedAt: stoppedAt(steps)!,
    machine: { loadavgBefore: '0', loadavgAfter: '0', quietAfterS: 0 },
    notes: [],
    timelines: [],
  };
  const md = ladderMarkdown(r);
  t.equal(md.split('\n').filter((l) => /^\| \d+ \|/.test(l)).length, 3);
  t.match(md, /stopped at 1000 users/);
  const svg = ladderSvg('ladder', steps);
  t.equal(svg.match(/<polyline/g)?.length, 2, 'two series');
  t.match(svg, /p99 send→deliver \(ms/);
  t.match(svg, /server CPU \(% of one core/);
  t.match(svg, /concurrent users/);
  t.match(svg, />500</);
  t.match(svg, /1000 \(stopped\)/);
});
