// Once a second: server CPU and RSS from /proc, the generator's own CPU and
// event-loop lag, and the interval's counts and latency percentiles.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readProc } from './proc';
import type { LoadStats } from './stats';

export interface Sample {
  readonly t: number;
  readonly sendRps: number;
  readonly ackRps: number;
  readonly deliverRps: number;
  readonly errors: number;
  readonly deliverP50: number;
  readonly deliverP95: number;
  readonly deliverP99: number;
  readonly deliverMax: number;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly ackMax: number;
  readonly serverCpuPct: number | undefined;
  readonly serverRssMb: number | undefined;
  readonly genCpuPct: number;
  readonly genLagP99Ms: number;
}

export class Monitor {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly lag = monitorEventLoopDelay({ resolution: 10 });
  private startedAt = 0;
  private last = { at: 0, genCpu: 0, serverCpu: 0, sent: 0, acked: 0, delivered: 0, errors: 0 };
  private serverCpuStart = 0;
  private genCpuStart = 0;

  constructor(
    private readonly stats: LoadStats,
    private readonly serverPids: readonly number[],
  ) {}

  private serverCpu(): number | undefined {
    let sum: number | undefined;
    for (const pid of this.serverPids) {
      const s = readProc(pid);
      if (s) sum = (sum ?? 0) + s.cpuSeconds;
    }
    return sum;
  }

  private serverRss(): number | undefined {
    let sum: number | undefined;
    for (const pid of this.serverPids) {
      const s = readProc(pid);
      if (s) sum = (sum ?? 0) + s.rssBytes;
    }
    return sum;
  }

  start(): void {
    this.lag.enable();
    const now = performance.now();
    this.startedAt = now;
    const genCpu = cpuSeconds();
    const serverCpu = this.serverCpu() ?? 0;
    this.serverCpuStart = serverCpu;
    this.genCpuStart = genCpu;
    this.last = { at: now, genCpu, serverCpu, sent: this.stats.sent, acked: this.stats.acked, delivered: this.stats.delivered, errors: this.stats.errorCount() };
    this.timer = setInterval(() => this.sample(), 1000);
  }

  /** Stops sampling; returns totals over the monitored span. */
  stop(): { seconds: number; serverCpuSeconds: number | undefined; genCpuSeconds: number } {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    this.lag.disable();
    const server = this.serverCpu();
    return {
      seconds: (performance.now() - this.startedAt) / 1000,
      serverCpuSeconds: server === undefined ? undefined : server - this.serverCpuStart,
      genCpuSeconds: cpuSeconds() - this.genCpuStart,
    };
  }

  private sample(): void {
    const now = performance.now();
    const dt = (now - this.last.at) / 1000;
    if (dt < 0.2) return;
    const genCpu = cpuSeconds();
    const serverCpu = this.serverCpu();
    const rss = this.serverRss();
    const s = this.stats;
    const d = s.deliver.drainInterval();
    const a = s.ack.drainInterval();
    this.samples.push({
      t: Math.round((now - this.startedAt) / 100) / 10,
      sendRps: (s.sent - this.last.sent) / dt,
      ackRps: (s.acked - this.last.acked) / dt,
      deliverRps: (s.delivered - this.last.delivered) / dt,
      errors: s.errorCount() - this.last.errors,
      deliverP50: d.p50,
      deliverP95: d.p95,
      deliverP99: d.p99,
      deliverMax: d.max,
      ackP50: a.p50,
      ackP99: a.p99,
      ackMax: a.max,
      serverCpuPct: serverCpu === undefined ? undefined : ((serverCpu - this.last.serverCpu) / dt) * 100,
      serverRssMb: rss === undefined ? undefined : rss / 1048576,
      genCpuPct: ((genCpu - this.last.genCpu) / dt) * 100,
      genLagP99Ms: this.lag.percentile(99) / 1e6,
    });
    this.lag.reset();
    this.last = { at: now, genCpu, serverCpu: serverCpu ?? 0, sent: s.sent, acked: s.acked, delivered: s.delivered, errors: s.errorCount() };
  }
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
