// One row per ladder step, from what the step counted and measured, and the
// rule that ends the ladder early. Pure: the driver gathers, this decides.
import type { LatencySummary } from './latency';

/** Gauges the server reports on /metrics (summed over every scraped process). */
export interface ServerGauges {
  /** `ws_connections` at the end of the step. */
  readonly wsConnections?: number;
  /** `db_pool_connections{state="in_use"}`, highest scraped during the step. */
  readonly dbInUseMax?: number;
  /** `db_pool_connections{state="idle"}` at the end of the step. */
  readonly dbIdle?: number;
  /** `db_pool_connections{state="waiting"}`, highest scraped during the step. */
  readonly dbWaitingMax?: number;
}

/** Everything one step counted; the input of `stepRow`. */
export interface StepMeasurement {
  readonly users: number;
  readonly rooms: number;
  /** Sockets open and subscribed when the measurement started. */
  readonly connected: number;
  /** How long this step's ramp of new connections took. */
  readonly rampSeconds: number;
  readonly measureSeconds: number;
  readonly userMsgRate: number;
  readonly connects: { readonly attempts: number; readonly failed: number; readonly latency: LatencySummary };
  readonly sent: number;
  readonly acked: number;
  /** Milliseconds from the first send to the last ack (the span the ack rate is over). */
  readonly ackSpanMs: number;
  readonly delivered: number;
  readonly expectedDeliveries: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Acked events some subscriber had not received after the drain. */
  readonly undelivered: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly deliver: LatencySummary;
  readonly ack: LatencySummary;
  readonly schedulerLag: LatencySummary;
  readonly history: { readonly attempts: number; readonly failed: number; readonly latency: LatencySummary };
  /** Seconds into the step when the open loop gave up (the runner's overload rule), if it did. */
  readonly abortedAtS?: number;
  /** The backlog (messages waiting for their ack) past which the open loop gives up. */
  readonly backlogCap: number;
  readonly server: { readonly cpuSeconds?: number; readonly rssMaxMb?: number };
  readonly gauges: ServerGauges;
  /** The generator's own CPU % and event-loop lag p99 (ms), one value per second. */
  readonly generator: { readonly cpuPct: readonly number[]; readonly lagP99Ms: readonly number[] };
}

/** One row of the ladder table. */
export interface StepRow {
  readonly users: number;
  readonly rooms: number;
  readonly connected: number;
  readonly rampSeconds: number;
  readonly seconds: number;
  /** users × per-user rate: what the step is meant to offer. */
  readonly offeredPerS: number;
  readonly sentPerS: number;
  readonly ackedPerS: number;
  readonly deliverMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly count: number };
  readonly ackP99Ms: number;
  readonly connectP99Ms: number;
  readonly historyP99Ms: number;
  readonly historyReads: number;
  readonly failures: { readonly sends: number; readonly reads: number; readonly connects: number };
  readonly errors: Readonly<Record<string, number>>;
  /** (failed sends + failed reads + failed connects) ÷ (sends + reads + connects attempted). */
  readonly errorRate: number;
  readonly delivered: number;
  readonly expectedDeliveries: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly undelivered: number;
  readonly serverCpuPct?: number;
  readonly serverRssMb?: number;
  readonly gauges: ServerGauges;
  readonly generator: { readonly cpuPctAvg: number; readonly lagP99MaxMs: number; readonly schedulerLagP99Ms: number; readonly warnings: readonly string[] };
  /** Why the ladder stopped at this step; undefined when the step held. */
  readonly stoppedBecause?: string;
}

const round = (v: number): number => Math.round(v * 100) / 100;

/** Share of a step's connection attempts that may fail before the step counts as not held. */
export const MAX_CONNECT_FAILURE_SHARE = 0.01;

/** Builds a step's row; `stoppedBecause` says whether the ladder ends here. */
export function stepRow(m: StepMeasurement): StepRow {
  const failedSends = Math.max(0, m.sent - m.acked);
  const attempts = m.sent + m.history.attempts + m.connects.attempts;
  const failures = failedSends + m.history.failed + m.connects.failed;
  const cpuPctAvg = m.generator.cpuPct.length ? m.generator.cpuPct.reduce((a, b) => a + b, 0) / m.generator.cpuPct.length : 0;
  const lagP99MaxMs = Math.max(0, ...m.generator.lagP99Ms);
  const warnings: string[] = [];
  // The same self-checks as a single scenario run (report.ts).
  if (cpuPctAvg > 85) warnings.push(`generator CPU averaged ${cpuPctAvg.toFixed(0)}% of one core`);
  if (lagP99MaxMs > 50) warnings.push(`generator event-loop lag p99 reached ${lagP99MaxMs.toFixed(0)} ms`);
  if (m.schedulerLag.p99 > 20) warnings.push(`sends left ${m.schedulerLag.p99.toFixed(0)} ms (p99) after their intended time`);
  return {
    users: m.users,
    rooms: m.rooms,
    connected: m.connected,
    rampSeconds: round(m.rampSeconds),
    seconds: round(m.measureSeconds),
    offeredPerS: round(m.users * m.userMsgRate),
    sentPerS: round(m.sent / Math.max(1e-9, m.measureSeconds)),
    ackedPerS: round(m.acked / Math.max(1e-3, m.ackSpanMs / 1000)),
    deliverMs: { p50: m.deliver.p50, p95: m.deliver.p95, p99: m.deliver.p99, count: m.deliver.count },
    ackP99Ms: m.ack.p99,
    connectP99Ms: m.connects.latency.p99,
    historyP99Ms: m.history.latency.p99,
    historyReads: m.history.attempts,
    failures: { sends: failedSends, reads: m.history.failed, connects: m.connects.failed },
    errors: m.errors,
    errorRate: attempts > 0 ? failures / attempts : 0,
    delivered: m.delivered,
    expectedDeliveries: m.expectedDeliveries,
    lost: m.lost,
    duplicated: m.duplicated,
    undelivered: m.undelivered,
    ...(m.server.cpuSeconds !== undefined ? { serverCpuPct: round((m.server.cpuSeconds / Math.max(1e-9, m.measureSeconds)) * 100) } : {}),
    ...(m.server.rssMaxMb !== undefined ? { serverRssMb: round(m.server.rssMaxMb) } : {}),
    gauges: m.gauges,
    generator: { cpuPctAvg: round(cpuPctAvg), lagP99MaxMs: round(lagP99MaxMs), schedulerLagP99Ms: m.schedulerLag.p99, warnings },
    ...stopReason(m),
  };
}

/**
 * The ladder stops after a step that did not hold: the runner's overload rule
 * (the open loop gave up once 2 s worth of messages waited for their ack), or
 * more than 1 % of the step's new connections failing.
 */
function stopReason(m: StepMeasurement): { stoppedBecause?: string } {
  if (m.abortedAtS !== undefined) return { stoppedBecause: `overloaded: sending stopped after ${m.abortedAtS.toFixed(1)} s, when ${m.backlogCap} messages were waiting for their ack` };
  if (m.connects.attempts > 0 && m.connects.failed > m.connects.attempts * MAX_CONNECT_FAILURE_SHARE) {
    return { stoppedBecause: `connections failed: ${m.connects.failed} of ${m.connects.attempts}` };
  }
  return {};
}

/** The first step that did not hold, if any: where the ladder stopped. */
export function stoppedAt(rows: readonly StepRow[]): { users: number; reason: string } | undefined {
  const row = rows.find((r) => r.stoppedBecause !== undefined);
  return row ? { users: row.users, reason: row.stoppedBecause! } : undefined;
}

/** Reads the gauges the ladder reports from Prometheus text (every label set summed, per state for the pool). */
export function parseGauges(text: string): { ws?: number; inUse?: number; idle?: number; waiting?: number } {
  const out: { ws?: number; inUse?: number; idle?: number; waiting?: number } = {};
  const add = (k: keyof typeof out, v: number): void => {
    if (Number.isFinite(v)) out[k] = (out[k] ?? 0) + v;
  };
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('ws_connections ') || line.startsWith('ws_connections{')) add('ws', value);
    else if (line.startsWith('db_pool_connections{')) {
      const state = /state="([a-z_]+)"/.exec(line)?.[1];
      if (state === 'in_use') add('inUse', value);
      else if (state === 'idle') add('idle', value);
      else if (state === 'waiting') add('waiting', value);
    }
  }
  return out;
}
