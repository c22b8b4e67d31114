// Runs one scenario against one system with monitoring, and writes its report.
import { readFileSync } from 'node:fs';
import { Monitor } from './monitor';
import { gaugeSum, readProc, scrapeGauge } from './proc';
import { buildResult, resultMarkdown, writeResult, type RunResult, type ServerEventLoop } from './report';
import { runScenario, type ScenarioConfig } from './scenarios';
import { LoadStats } from './stats';
import type { SystemUnderTest } from './types';

export interface MeasureOptions {
  readonly label: string;
  readonly serverPids: readonly number[];
  readonly pinning: { server: string; generator: string };
  readonly outDir?: string;
}

export const DEFAULTS: Record<ScenarioConfig['scenario'], ScenarioConfig> = {
  rooms: { scenario: 'rooms', rooms: 100, members: 10, rate: 2000, durationS: 20, via: 'ws', sendersPerRoom: 10, sockets: 0, users: 100, connectRate: 500 },
  'big-room': { scenario: 'big-room', rooms: 1, members: 1000, rate: 40, durationS: 20, via: 'ws', sendersPerRoom: 10, sockets: 0, users: 100, connectRate: 500 },
  idle: { scenario: 'idle', rooms: 0, members: 0, rate: 0, durationS: 5, via: 'ws', sendersPerRoom: 0, sockets: 15000, users: 100, connectRate: 1000 },
  'write-path': { scenario: 'write-path', rooms: 1000, members: 2, rate: 10000, durationS: 20, via: 'ws', sendersPerRoom: 1, sockets: 0, users: 100, connectRate: 500 },
};

export async function measure(sut: SystemUnderTest, cfg: ScenarioConfig, o: MeasureOptions): Promise<RunResult> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  let monitor: Monitor | undefined;
  const out = await runScenario(sut, cfg, () => {
    monitor = new Monitor(statsRef.current, o.serverPids);
    monitor.start();
    // prom-client resets its event-loop histogram at each scrape: this one starts the load window's.
    if (sut.metricsUrl) void scrapeGauge(sut.metricsUrl, 'nodejs_eventloop_lag_p99_seconds');
  }, statsRef);
  const totals = monitor ? monitor.stop() : { seconds: 0, serverCpuSeconds: undefined, genCpuSeconds: 0 };
  const eventLoop = sut.metricsUrl ? await serverEventLoop(sut.metricsUrl) : undefined;
  const loadAfter = loadavg();
  // Let a backlog finish before the next scenario measures anything.
  const quietS = await waitQuiet(o.serverPids, 120);
  const result = buildResult({
    label: o.label,
    target: sut.name,
    cfg,
    out,
    samples: monitor?.samples ?? [],
    totals,
    pids: [...o.serverPids],
    pinning: o.pinning,
    startedAt,
    machine: { loadavgBefore: loadBefore, loadavgAfter: loadAfter, quietAfterS: quietS },
  });
  if (eventLoop) result.server.eventLoop = eventLoop;
  if (o.outDir) {
    const base = writeResult(o.outDir, result);
    console.error(`[runner] wrote ${base}.{json,md,svg}`);
  }
  console.log(resultMarkdown(result));
  return result;
}

/** The server's event-loop delay since the last scrape (p99 and max, ms), or undefined when it has no such gauges. */
async function serverEventLoop(metricsUrl: string): Promise<ServerEventLoop | undefined> {
  // One page for both: each scrape resets prom-client's event-loop histogram.
  const text = await fetch(metricsUrl).then((r) => r.text()).catch(() => '');
  const p99 = gaugeSum(text, 'nodejs_eventloop_lag_p99_seconds');
  const max = gaugeSum(text, 'nodejs_eventloop_lag_max_seconds');
  if (p99 === undefined || max === undefined) return undefined;
  return { p99Ms: Math.round(p99 * 10_000) / 10, maxMs: Math.round(max * 10_000) / 10 };
}

/** The scenario creates its stats; the monitor needs them before load starts. */
const statsRef: { current: LoadStats } = { current: new LoadStats() };

/** The machine's 1/5/15-minute load averages, as /proc/loadavg gives them. */
export function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

/** Waits until the server processes use under 10% of a core for 2 s in a row; returns the seconds waited. */
export async function waitQuiet(pids: readonly number[], maxS: number): Promise<number> {
  if (pids.length === 0) return 0;
  const cpu = (): number => pids.reduce((sum, p) => sum + (readProc(p)?.cpuSeconds ?? 0), 0);
  const start = Date.now();
  let calm = 0;
  let last = cpu();
  while ((Date.now() - start) / 1000 < maxS && calm < 2) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpu();
    calm = now - last < 0.1 ? calm + 1 : 0;
    last = now;
  }
  return Math.round((Date.now() - start) / 1000);
}
