// Runs one scenario against one system with monitoring, and writes its report.
import { Monitor } from './monitor';
import { buildResult, resultMarkdown, writeResult, type RunResult } from './report';
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
  let monitor: Monitor | undefined;
  const out = await runScenario(sut, cfg, () => {
    monitor = new Monitor(statsRef.current, o.serverPids);
    monitor.start();
  }, statsRef);
  const totals = monitor ? monitor.stop() : { seconds: 0, serverCpuSeconds: undefined, genCpuSeconds: 0 };
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
  });
  if (o.outDir) {
    const base = writeResult(o.outDir, result);
    console.error(`[runner] wrote ${base}.{json,md,svg}`);
  }
  console.log(resultMarkdown(result));
  return result;
}

/** The scenario creates its stats; the monitor needs them before load starts. */
const statsRef: { current: LoadStats } = { current: new LoadStats() };
