// Runs the ladder with its probes and writes its report:
// <dir>/<date>-<label>.json (everything), .md (a row per step), .svg (p99 and CPU against users).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LadderConfig } from './ladder-plan';
import { runLadder, type LadderProbe } from './ladder';
import { stoppedAt, type StepRow } from './ladder-summary';
import { ladderSvg } from './ladder-svg';
import type { Sample } from './monitor';
import { loadavg, waitQuiet } from './run';
import type { SystemUnderTest } from './types';

/** One ladder run, as written to JSON. */
export interface LadderResult {
  readonly label: string;
  readonly scenario: 'ladder';
  readonly target: string;
  readonly startedAt: string;
  readonly config: LadderConfig;
  readonly pinning: { server: string; generator: string };
  readonly server: { pids: number[]; metricsUrls: string[] };
  readonly setupSeconds: number;
  readonly steps: StepRow[];
  /** The step that did not hold and why; absent when every step held. */
  readonly stoppedAt?: { users: number; reason: string };
  readonly machine: { loadavgBefore: string; loadavgAfter: string; quietAfterS: number };
  readonly notes: string[];
  /** Per-second samples of each step's measurement (same shape as a scenario's timeline). */
  readonly timelines: Sample[][];
}

export interface LadderOptions extends LadderProbe {
  readonly label: string;
  readonly pinning: { server: string; generator: string };
  readonly outDir?: string;
}

/** Runs the ladder, waits for the server to go quiet, writes the report (when `outDir`) and prints its Markdown. */
export async function measureLadder(sut: SystemUnderTest, cfg: LadderConfig, o: LadderOptions): Promise<LadderResult> {
  const startedAt = new Date();
  const loadavgBefore = loadavg();
  const out = await runLadder(sut, cfg, o);
  const loadavgAfter = loadavg();
  const quietAfterS = await waitQuiet(o.serverPids, 120);
  const stop = stoppedAt(out.rows);
  const result: LadderResult = {
    label: o.label,
    scenario: 'ladder',
    target: sut.name,
    startedAt: startedAt.toISOString(),
    config: cfg,
    pinning: o.pinning,
    server: { pids: [...o.serverPids], metricsUrls: [...o.metricsUrls] },
    setupSeconds: Math.round(out.setupSeconds * 10) / 10,
    steps: out.rows,
    ...(stop ? { stoppedAt: stop } : {}),
    machine: { loadavgBefore, loadavgAfter, quietAfterS },
    notes: out.notes,
    timelines: out.timelines,
  };
  if (o.outDir) console.error(`[ladder] wrote ${writeLadderResult(o.outDir, result)}.{json,md,svg}`);
  console.log(ladderMarkdown(result));
  return result;
}

/** The run's configuration in one line. */
export function ladderConfigLine(c: LadderConfig): string {
  return `steps ${c.steps.join(' → ')} users, rooms of ${c.roomSize}, ${c.userMsgRate} msgs/s per user over WS, a history page per user every ${c.historyEveryS} s, ${c.stepSeconds} s per step after a ${c.settleSeconds} s settle, connections ramped at ${c.connectRate}/s, ${c.users}-account pool`;
}

const f = (n: number | undefined, d = 0): string => (n === undefined ? '–' : n.toFixed(d));

/** The report's Markdown: a few lines about the run, then one table row per step. */
export function ladderMarkdown(r: LadderResult): string {
  const lines = [
    `### ${r.label}`,
    '',
    `- target: ${r.target}; ${ladderConfigLine(r.config)}`,
    `- pinning: server ${r.pinning.server}; generator ${r.pinning.generator}. Server CPU and RSS summed over pids ${r.server.pids.join(', ') || 'none'}; gauges from ${r.server.metricsUrls.join(', ') || 'nowhere'}`,
    `- account pool registered in ${r.setupSeconds} s; machine load avg before / after ${r.machine.loadavgBefore} / ${r.machine.loadavgAfter} (other processes share the cores)`,
    `- ${r.stoppedAt ? `**stopped at ${r.stoppedAt.users} users**: ${r.stoppedAt.reason}` : 'every step held'}`,
    '',
    'Latencies in ms from the intended send (or read) time. CPU % is of one core. Errors = failed sends, history reads and connects over all attempted.',
    '',
    '| users | sockets | msgs/s offered / sent / acked | deliver p50 / p95 / p99 | ack p99 | history p99 (reads) | errors | lost / dup / undelivered | server CPU % | RSS MB | ws conns (metrics) | DB pool in use max / idle / waiting max | generator CPU % / lag p99 ms | step |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.steps) {
    const d = s.deliverMs;
    const g = s.gauges;
    lines.push(
      `| ${s.users} | ${s.connected} | ${f(s.offeredPerS, 1)} / ${f(s.sentPerS, 1)} / ${f(s.ackedPerS, 1)} | ${d.count ? `${f(d.p50, 2)} / ${f(d.p95, 2)} / ${f(d.p99, 2)}` : '–'} | ${f(s.ackP99Ms, 2)} | ${s.historyReads ? `${f(s.historyP99Ms, 2)} (${s.historyReads})` : '–'} | ${(s.errorRate * 100).toFixed(2)}% | ${s.lost} / ${s.duplicated} / ${s.undelivered} | ${f(s.serverCpuPct)} | ${f(s.serverRssMb)} | ${f(g.wsConnections)} | ${f(g.dbInUseMax)} / ${f(g.dbIdle)} / ${f(g.dbWaitingMax)} | ${f(s.generator.cpuPctAvg)} / ${f(s.generator.lagP99MaxMs, 1)} | ${s.stoppedBecause ? 'stopped' : 'held'} |`,
    );
  }
  lines.push('');
  for (const s of r.steps) {
    const errs = Object.entries(s.errors);
    if (errs.length) lines.push(`- ${s.users} users, errors: ${errs.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    if (s.generator.warnings.length) lines.push(`- ${s.users} users, **generator warning**: ${s.generator.warnings.join('; ')}`);
    if (s.stoppedBecause) lines.push(`- ${s.users} users: ${s.stoppedBecause}`);
  }
  for (const n of r.notes) lines.push(`- ${n}`);
  return `${lines.join('\n')}\n`;
}

/** Writes <dir>/<date>-<label>.{json,md,svg}; returns the base path. */
export function writeLadderResult(dir: string, r: LadderResult): string {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${r.startedAt.slice(0, 10)}-${r.label}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${base}.md`, ladderMarkdown(r));
  writeFileSync(`${base}.svg`, ladderSvg(`${r.label}: p99 send→deliver and server CPU per step`, r.steps));
  return base;
}
