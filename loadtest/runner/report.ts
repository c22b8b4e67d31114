// One scenario run as JSON (everything), Markdown (the table) and SVG (the timeline).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LatencySummary } from './latency';
import type { Sample } from './monitor';
import type { ScenarioConfig, ScenarioOutcome } from './scenarios';
import { timelineSvg } from './svg';

/** The server's event-loop delay over the load window, from its prom-client gauges (reset at the window's start). */
export interface ServerEventLoop {
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface RunResult {
  readonly label: string;
  readonly scenario: string;
  readonly target: string;
  readonly startedAt: string;
  readonly config: ScenarioConfig;
  readonly pinning: { server: string; generator: string };
  readonly seconds: { setup: number; load: number };
  readonly counts: {
    sent: number;
    acked: number;
    delivered: number;
    expectedDeliveries: number;
    lost: number;
    undeliveredAtClose: number;
    duplicated: number;
    errors: Record<string, number>;
    errorRate: number;
    connections: number;
    unexpectedCloses: number;
    persisted?: number;
  };
  readonly rates: { sentPerS: number; ackedPerS: number; deliveredPerS: number; persistedPerS?: number };
  readonly latencyMs: { ack: LatencySummary; deliver: LatencySummary; connect: LatencySummary; schedulerLag: LatencySummary };
  readonly server: { pids: number[]; cpuSeconds?: number; cpuPct?: number; rssMaxMb?: number; heap?: ScenarioOutcome['heap']; eventLoop?: ServerEventLoop };
  readonly generator: { cpuPctAvg: number; cpuPctMax: number; lagP99MaxMs: number; limited: boolean; warnings: string[] };
  readonly deliveriesPerServerCpuSecond?: number;
  readonly machine: { loadavgBefore: string; loadavgAfter: string; quietAfterS: number };
  readonly notes: string[];
  readonly timeline: Sample[];
}

export function buildResult(a: {
  label: string;
  target: string;
  cfg: ScenarioConfig;
  out: ScenarioOutcome;
  samples: Sample[];
  totals: { seconds: number; serverCpuSeconds: number | undefined; genCpuSeconds: number };
  pids: number[];
  pinning: { server: string; generator: string };
  startedAt: Date;
  machine: RunResult['machine'];
}): RunResult {
  const { out, cfg, samples, totals } = a;
  const s = out.stats;
  const errors = Object.fromEntries(s.errors);
  const errorCount = s.errorCount();
  const loaded = samples.filter((x) => x.sendRps > 0 || cfg.scenario === 'idle');
  const genCpu = loaded.map((x) => x.genCpuPct);
  const cpuPctAvg = genCpu.length ? genCpu.reduce((p, c) => p + c, 0) / genCpu.length : 0;
  const cpuPctMax = Math.max(0, ...genCpu);
  const lagP99MaxMs = Math.max(0, ...loaded.map((x) => x.genLagP99Ms));
  const sched = s.sendLag.summary();
  const warnings: string[] = [];
  if (cpuPctAvg > 85) warnings.push(`generator CPU averaged ${cpuPctAvg.toFixed(0)}% of one core: the load generator may be the limit`);
  if (lagP99MaxMs > 50) warnings.push(`generator event-loop lag p99 reached ${lagP99MaxMs.toFixed(0)} ms: its latency figures include its own queueing`);
  if (sched.p99 > 20) warnings.push(`sends left ${sched.p99.toFixed(0)} ms (p99) after their intended time: the generator fell behind its schedule (latencies are still measured from the intended time)`);
  const rssMax = samples.map((x) => x.serverRssMb).filter((v): v is number => v !== undefined);
  const serverCpuSeconds = totals.serverCpuSeconds;
  return {
    label: a.label,
    scenario: cfg.scenario,
    target: a.target,
    startedAt: a.startedAt.toISOString(),
    config: cfg,
    pinning: a.pinning,
    seconds: { setup: round(out.setupSeconds), load: round(out.loadSeconds) },
    counts: {
      sent: s.sent,
      acked: s.acked,
      delivered: s.delivered,
      expectedDeliveries: out.expectedDeliveries,
      lost: s.lost,
      undeliveredAtClose: s.undeliveredAtClose,
      duplicated: s.duplicated,
      errors,
      errorRate: s.sent > 0 ? errorCount / s.sent : errorCount > 0 ? 1 : 0,
      connections: out.connections,
      unexpectedCloses: s.closes,
      ...(out.persisted !== undefined ? { persisted: out.persisted } : {}),
    },
    rates: {
      sentPerS: round(s.sent / Math.max(1e-9, cfg.durationS)),
      // From the first send to the last ack (or delivery): the rate the server actually sustained.
      ackedPerS: round(s.acked / Math.max(1e-3, (s.lastAckAt - s.firstSendAt) / 1000)),
      deliveredPerS: round(s.delivered / Math.max(1e-3, (s.lastDeliverAt - s.firstSendAt) / 1000)),
      ...(out.persisted !== undefined ? { persistedPerS: round(out.persisted / Math.max(1e-3, (s.lastAckAt - s.firstSendAt) / 1000)) } : {}),
    },
    latencyMs: { ack: s.ack.summary(), deliver: s.deliver.summary(), connect: s.connect.summary(), schedulerLag: sched },
    server: {
      pids: a.pids,
      ...(serverCpuSeconds !== undefined ? { cpuSeconds: round(serverCpuSeconds), cpuPct: round((serverCpuSeconds / totals.seconds) * 100) } : {}),
      ...(rssMax.length ? { rssMaxMb: round(Math.max(...rssMax)) } : {}),
      ...(out.heap ? { heap: out.heap } : {}),
    },
    generator: { cpuPctAvg: round(cpuPctAvg), cpuPctMax: round(cpuPctMax), lagP99MaxMs: round(lagP99MaxMs), limited: warnings.length > 0, warnings },
    ...(serverCpuSeconds && s.delivered ? { deliveriesPerServerCpuSecond: round(s.delivered / serverCpuSeconds) } : {}),
    machine: a.machine,
    notes: out.notes,
    timeline: samples,
  };
}

const round = (v: number): number => Math.round(v * 100) / 100;
const ms = (l: LatencySummary): string => (l.count ? `${l.p50} / ${l.p95} / ${l.p99} / ${l.max}` : '–');

export function resultMarkdown(r: RunResult): string {
  const c = r.counts;
  const rows: [string, string][] = [
    ['target', r.target],
    ['config', configLine(r)],
    ['pinning', `server: ${r.pinning.server}; generator: ${r.pinning.generator}`],
    ['sent / acked', `${c.sent} / ${c.acked}${c.persisted !== undefined ? ` (persisted ${c.persisted})` : ''}`],
    ['msgs/s sent / acked', `${r.rates.sentPerS} / ${r.rates.ackedPerS}${r.rates.persistedPerS !== undefined ? ` (persisted ${r.rates.persistedPerS}/s)` : ''}`],
    ['delivered (expected)', `${c.delivered} (${c.expectedDeliveries}), ${r.rates.deliveredPerS}/s`],
    ['lost (seq gaps) / duplicated', `${c.lost} / ${c.duplicated}`],
    ['acked but not delivered when sockets closed', String(c.undeliveredAtClose)],
    ['errors', `${Object.entries(c.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'} (rate ${(c.errorRate * 100).toFixed(3)}%)`],
    ['send→deliver ms p50/p95/p99/max', ms(r.latencyMs.deliver)],
    ['send→ack ms p50/p95/p99/max', ms(r.latencyMs.ack)],
    ['connect+auth ms p50/p95/p99/max', ms(r.latencyMs.connect)],
    ['server CPU', r.server.cpuSeconds !== undefined ? `${r.server.cpuSeconds} s (${r.server.cpuPct}% of one core)` : 'unknown'],
    ['server event-loop delay', r.server.eventLoop ? `p99 ${r.server.eventLoop.p99Ms} ms, max ${r.server.eventLoop.maxMs} ms (prom-client, over the load window)` : 'not measured'],
    ['server RSS max', r.server.rssMaxMb !== undefined ? `${r.server.rssMaxMb} MB` : 'unknown'],
    ['deliveries per server CPU-second', r.deliveriesPerServerCpuSecond !== undefined ? String(r.deliveriesPerServerCpuSecond) : '–'],
    ['generator', `CPU avg ${r.generator.cpuPctAvg}% max ${r.generator.cpuPctMax}%, loop lag p99 max ${r.generator.lagP99MaxMs} ms, scheduler lag p99 ${r.latencyMs.schedulerLag.p99} ms`],
  ];
  rows.push(['machine load avg before / after', `${r.machine.loadavgBefore} / ${r.machine.loadavgAfter} (2 cores; other processes share them)`]);
  if (r.server.heap) {
    const h = r.server.heap;
    rows.push(['server heap used before → after', `${(h.beforeBytes / 1048576).toFixed(1)} → ${(h.afterBytes / 1048576).toFixed(1)} MB = ${(h.perSocketBytes / 1024).toFixed(2)} KB per socket`]);
  }
  const lines = [`### ${r.label}`, '', '| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''];
  for (const w of r.generator.warnings) lines.push(`> **Warning:** ${w}`, '');
  for (const n of r.notes) lines.push(`- ${n}`);
  return `${lines.join('\n')}\n`;
}

export function configLine(r: RunResult): string {
  const c = r.config;
  switch (c.scenario) {
    case 'rooms':
      return `${c.rooms} rooms × ${c.members} members, ${c.rate} msgs/s via ${c.via}, ${c.durationS} s`;
    case 'big-room':
      return `1 room × ${c.members} members, ${c.rate} msgs/s via ${c.via}, ${c.durationS} s`;
    case 'idle':
      return `${c.sockets} idle subscribed sockets, ${c.users} users`;
    case 'write-path':
      return `${c.rooms} rooms of 2, ${c.rate} msgs/s offered via ${c.via}, ${c.durationS} s`;
  }
}

/** Writes <dir>/<date>-<label>.{json,md,svg}; returns the base path. */
export function writeResult(dir: string, r: RunResult): string {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${r.startedAt.slice(0, 10)}-${r.label}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${base}.md`, resultMarkdown(r));
  writeFileSync(`${base}.svg`, timelineSvg(`${r.label}: ${configLine(r)}`, r.timeline));
  return base;
}
