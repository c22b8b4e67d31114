// `npm run bench`: the standard suite, a few minutes per target. Starts our
// server itself (embedded, then MariaDB + Redis when available), runs the
// anchors in the same run, and writes loadtest/results/<date>-<label>.{json,md,svg}
// plus loadtest/results/latest.md.
//
//   tsx loadtest/bench.ts [--only rooms,big-room,idle,write-path] [--targets embedded,mysql,anchors]
//                         [--base-url http://127.0.0.1:8080 --server-pids 1,2,3]  (Phase 3: already running)
//                         [--short] [--users 100]
//   tsx loadtest/bench.ts --ladder [--ladder-steps 100,500,1000,5000,10000] [--step-seconds 30]
//                         the user ladder (runner/ladder.ts) instead of the suite, on the same targets (no anchors)
// The server is pinned to core 0 and this generator to core 1 (taskset), when there are 2+ cores.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerProcess, hasRealServices, type Target } from '../shared/src/testing/server-process';
import { startAnchor } from './runner/anchors';
import { pidListeningOn, pin } from './runner/proc';
import { LADDER_DEFAULTS, parseSteps, type LadderConfig } from './runner/ladder-plan';
import { measureLadder } from './runner/ladder-report';
import type { RunResult } from './runner/report';
import { DEFAULTS, measure } from './runner/run';
import type { ScenarioConfig } from './runner/scenarios';
import { summaryMarkdown } from './runner/summary';
import { bareWsTarget, chatTarget, socketIoTarget } from './runner/targets';
import type { SystemUnderTest } from './runner/types';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const OUT = resolve(import.meta.dirname, 'results');
const { values: v } = parseArgs({
  options: {
    only: { type: 'string', default: 'rooms,big-room,idle,write-path' },
    targets: { type: 'string', default: 'embedded,mysql,anchors' },
    entry: { type: 'string' },
    'base-url': { type: 'string' },
    'server-pids': { type: 'string' },
    short: { type: 'boolean', default: false },
    /** Size of the registered user pool (registration is slow: scrypt). */
    users: { type: 'string', default: '100' },
    ladder: { type: 'boolean', default: false },
    'ladder-steps': { type: 'string' },
    'step-seconds': { type: 'string' },
  },
});
const only = new Set(v.only!.split(','));
const targets = new Set(v.targets!.split(','));
const short = v.short!;
const dur = (s: number): number => (short ? Math.max(5, Math.round(s / 3)) : s);
const log = (m: string): void => console.error(`[bench] ${m}`);

/** The standard suite, each entry labelled for the results file. */
function suite(): { label: string; cfg: ScenarioConfig }[] {
  const s: { label: string; cfg: ScenarioConfig }[] = [];
  const users = Number(v.users);
  if (only.has('rooms')) {
    s.push({ label: 'rooms-100x10-2000', cfg: { ...DEFAULTS.rooms, rate: 2000, durationS: dur(15), users } });
    s.push({ label: 'rooms-100x10-5000', cfg: { ...DEFAULTS.rooms, rate: 5000, durationS: dur(10), users } });
  }
  if (only.has('big-room')) s.push({ label: 'big-room-1000-50', cfg: { ...DEFAULTS['big-room'], rate: 50, durationS: dur(10), users } });
  if (only.has('write-path')) s.push({ label: 'write-path-1000x2-10000', cfg: { ...DEFAULTS['write-path'], rate: 10000, durationS: dur(10), users } });
  if (only.has('idle')) s.push({ label: 'idle-10000', cfg: { ...DEFAULTS.idle, sockets: short ? 3000 : 10000, durationS: 3, users } });
  return s;
}

/** --ladder: the user ladder over the same account pool size as the suite. */
const ladder: LadderConfig = {
  ...LADDER_DEFAULTS,
  steps: v['ladder-steps'] ? parseSteps(v['ladder-steps']) : LADDER_DEFAULTS.steps,
  stepSeconds: v['step-seconds'] ? Number(v['step-seconds']) : LADDER_DEFAULTS.stepSeconds,
  users: Number(v.users),
};

const generatorPin = pin(process.pid, '1');
const results: RunResult[] = [];

/** Runs the ladder instead of the suite; its report goes next to the suite's (results/<date>-<prefix>-ladder.*). */
async function ladderOn(sut: SystemUnderTest, prefix: string, pids: number[], serverPin: string, logs?: () => string): Promise<void> {
  log(`${prefix}-ladder: ${ladder.steps.join(', ')} users, ${ladder.stepSeconds} s per step`);
  try {
    await measureLadder(sut, ladder, { label: `${prefix}-ladder`, serverPids: pids, metricsUrls: sut.metricsUrl ? [sut.metricsUrl] : [], pinning: { server: serverPin, generator: generatorPin }, outDir: OUT });
  } catch (err) {
    log(`${prefix}-ladder failed: ${(err as Error).stack ?? err}`);
    if (logs) log(`server output (tail):\n${logs().slice(-3000)}`);
  }
}

async function runSuite(sut: SystemUnderTest, prefix: string, pids: number[], serverPin: string, which = suite(), logs?: () => string): Promise<void> {
  for (const { label, cfg } of which) {
    log(`${prefix}-${label}`);
    try {
      results.push(await measure(sut, cfg, { label: `${prefix}-${label}`, serverPids: pids, pinning: { server: serverPin, generator: generatorPin }, outDir: OUT }));
    } catch (err) {
      log(`${prefix}-${label} failed: ${(err as Error).stack ?? err}`);
      if (logs) log(`server output (tail):\n${logs().slice(-3000)}`);
    }
  }
}

async function ours(target: Target, env: Record<string, string>): Promise<void> {
  // The ladder holds up to 10,000 sockets over a 100-account pool: 100 per account, over the default cap of 50
  // (not enforced with rate limits off either way; set so that the intent survives a change of that rule).
  const server = new ServerProcess({ target, env: { RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn', WS_MAX_SOCKETS_PER_USER: '1000000', ...env }, ...(v.entry ? { entry: v.entry } : {}) });
  try {
    await server.start(60_000);
  } catch (err) {
    log(`${target} server did not start: ${(err as Error).message.slice(0, 2000)}`);
    return;
  }
  const port = await server.port;
  // Newer harnesses expose the child pid; otherwise the listener on our port is it.
  const pid = ('pid' in server && typeof server.pid === 'number' ? server.pid : undefined) ?? pidListeningOn(port);
  const serverPin = pid ? pin(pid, '0') : 'unknown pid';
  const prefix = target === 'embedded' ? 'embedded' : 'mysql';
  // Server CPU counts every server-side process: on MariaDB + Redis, their CPU too (not pinned: they are shared services).
  const pids = [pid, ...(target === 'embedded' ? [] : backingServicePids())].filter((p): p is number => p !== undefined);
  try {
    if (v.ladder) await ladderOn(chatTarget(await server.baseUrl), prefix, pids, serverPin, () => server.logs());
    else await runSuite(chatTarget(await server.baseUrl), prefix, pids, serverPin, suite(), () => server.logs());
  } finally {
    await server.stop();
  }
}

/** The processes listening on DATABASE_URL's and REDIS_URL's ports (MariaDB and Redis). */
function backingServicePids(): number[] {
  const pids: number[] = [];
  for (const name of ['DATABASE_URL', 'REDIS_URL']) {
    const raw = process.env[name];
    if (!raw) continue;
    const url = new URL(raw);
    const pid = pidListeningOn(Number(url.port || (url.protocol === 'mysql:' ? 3306 : 6379)));
    if (pid === undefined) log(`no process found listening for ${name}; its CPU is not counted`);
    else pids.push(pid);
  }
  return pids;
}

/** Exports from scripts/services.sh (another helper's script); undefined when it is not usable. */
function servicesUp(): Record<string, string> | undefined {
  try {
    const out = execFileSync('bash', ['scripts/services.sh', 'up', 'mysql', 'redis'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
    const env: Record<string, string> = {};
    for (const m of out.matchAll(/^export ([A-Z_]+)=(?:'([^']*)'|"([^"]*)"|(\S*))$/gm)) env[m[1]!] = m[2] ?? m[3] ?? m[4] ?? '';
    return env;
  } catch (err) {
    log(`services.sh up mysql redis failed: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

const started = new Date();
if (v['base-url']) {
  // Phase 3 (or any running deployment): measure what is there; CPU is summed over the given pids.
  const pids = (v['server-pids'] ?? '').split(',').filter(Boolean).map(Number);
  if (v.ladder) await ladderOn(chatTarget(v['base-url']), 'external', pids, 'as deployed (not pinned by the bench)');
  else await runSuite(chatTarget(v['base-url']), 'external', pids, 'as deployed (not pinned by the bench)');
} else {
  if (targets.has('embedded')) await ours('embedded', {});
  if (targets.has('mysql')) {
    if (!hasRealServices()) Object.assign(process.env, servicesUp() ?? {});
    if (hasRealServices()) await ours('mysql', {});
    else log('no DATABASE_URL=mysql://… and REDIS_URL: skipping the MariaDB + Redis run');
  }
}
if (v.ladder) {
  // The ladder's reports stand alone; latest.md stays the suite's summary.
  log(`ladder done in ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min; reports in ${OUT}`);
  process.exit(0);
}
if (targets.has('anchors')) {
  const comparable = suite().filter((s) => s.cfg.scenario === 'rooms' || s.cfg.scenario === 'big-room');
  for (const [kind, make, name] of [
    ['bare-ws-broadcast', bareWsTarget, 'bare-ws'],
    ['socketio-chat', socketIoTarget, 'socketio'],
  ] as const) {
    const anchor = await startAnchor(kind, '0');
    try {
      await runSuite(make(anchor.baseUrl), name, [anchor.pid], anchor.pinning, comparable);
    } finally {
      await anchor.stop();
    }
  }
}
const summary = summaryMarkdown(results, started);
writeFileSync(resolve(OUT, 'latest.md'), summary);
console.log(summary);
log(`done in ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min; wrote ${OUT}/latest.md`);
process.exit(0);

