// npx tsx loadtest/compare-phases.ts: the same runner scenario against Phase 1 (MariaDB + Redis) and Phase 3, back to back.
// Needs DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ELASTICSEARCH_URL (eval "$(npm run -s services:up -- mysql redis kafka elasticsearch)").
// RATES=50,200 (msgs/s over WS, 10 rooms × 10 members, 15 s each, after a 5 s warm-up run that is not reported:
// a fresh process first loads modules and compiles its hot paths, Phase 3 in eight processes).
// SCENARIO=ladder: the user ladder (runner/ladder.ts) once per phase instead of the rates, STEPS=100,500,1000,5000,10000
// STEP_SECONDS=30; CPU summed over the same pids, gauges from every service's /metrics (Phase 3).
// "Server CPU" is the whole server side: Phase 1 = monolith + MariaDB + Redis; Phase 3 = every service + MariaDB
// + Redis + Kafka + Elasticsearch.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ServerProcess } from '../shared/src/testing/server-process';
import { Phase3Cluster } from '../shared/src/testing/phase3-cluster';

const rates = (process.env.RATES ?? '50,200').split(',').map(Number);
// ROOMS=100 MEMBERS=10 for the 100 × 10 figures; SECONDS per measured run.
const [rooms, members, seconds] = [process.env.ROOMS ?? '10', process.env.MEMBERS ?? '10', Number(process.env.SECONDS ?? 15)];
// SHAPE=ws:3,message:2,search:1,notification:1 (Phase 3 instances; default: the cluster's default).
const shape = Object.fromEntries((process.env.SHAPE ?? '').split(',').filter(Boolean).map((kv) => [kv.split(':')[0]!, Number(kv.split(':')[1])]));
const only = (process.env.PHASES ?? '1,3').split(',');
const env = { LOG_LEVEL: 'warn', PASSWORD_HASH_LOG_N: '12' };
/** The backing services' pids, from scripts/services.sh's pid files (SERVICES_DIR, default .services): this stack's, not another one on the machine. */
const infraPids = (names: string) =>
  names
    .split('|')
    .map((n) => {
      try {
        return Number(readFileSync(`${process.env.SERVICES_DIR ?? '.services'}/${n}/run/pid`, 'utf8').trim());
      } catch {
        return 0;
      }
    })
    .filter((n) => n > 0);
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
/** The runner's arguments for one measured run of the rooms scenario over WebSocket. */
const runnerArgs = (base: string, label: string, rate: number, pids: number[], seconds: number, out?: string) => [
  '--import', 'tsx', 'loadtest/runner/cli.ts', '--scenario', 'rooms', '--rooms', rooms, '--members', members, '--rate', String(rate),
  '--duration', String(seconds), '--users', Number(rooms) >= 50 ? '100' : '20', '--via', 'ws', '--no-pin', '--base-url', base, '--server-pid', pids.join(','), '--label', label,
  ...(out ? ['--out', out] : []),
];
const runner = (base: string, label: string, rate: number, pids: number[], seconds: number, out?: string) =>
  execFileSync(process.execPath, runnerArgs(base, label, rate, pids, seconds, out), { encoding: 'utf8' });
/** The runner, with each pid's CPU sampled from "sending starts" to its report: the steady state only. */
function runnerSampling(base: string, label: string, rate: number, pids: number[], seconds: number): Promise<{ out: string; perProcess: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, runnerArgs(base, label, rate, pids, seconds), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let start: number[] | undefined;
    let end: number[] | undefined;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d: Buffer) => {
      const text = String(d);
      if (!start && text.includes('sending starts')) start = pids.map(cpuOf);
      // The report is written after the sockets close; the run's end is its last send plus the drain.
      if (start && !end && text.includes('[runner] wrote')) end = pids.map(cpuOf);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`runner exited with ${code}`));
      const last = end ?? pids.map(cpuOf);
      resolve({ out, perProcess: pids.map((_, i) => last[i]! - (start?.[i] ?? last[i]!)) });
    });
  });
}
const warmUp = (base: string, rate: number, pids: number[]) => void runner(base, 'warm-up', rate, pids, 5, tmpdir());
/** SCENARIO=ladder: the runner's ladder against one phase; its report goes to loadtest/results like the rates' runs. */
const ladder = (base: string, label: string, pids: number[], metricsUrls: string[]) =>
  execFileSync(process.execPath, [
    '--import', 'tsx', 'loadtest/runner/cli.ts', '--scenario', 'ladder', '--steps', process.env.STEPS ?? '100,500,1000,5000,10000',
    '--step-seconds', process.env.STEP_SECONDS ?? '30', '--users', '100', '--no-pin', '--base-url', base, '--server-pid', pids.join(','),
    '--metrics-url', metricsUrls.join(','), '--label', label,
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const keep = (out: string) => out.split('\n').filter((l) => /^###|send→|sent \/ acked|lost|server CPU|deliveries per|load avg|Warning/.test(l)).join('\n');

if (process.env.SCENARIO === 'ladder') {
  // 10,000 sockets over a 100-account pool: 100 per account (the cap is off with rate limits off; explicit anyway).
  const ladderEnv = { ...env, WS_MAX_SOCKETS_PER_USER: '1000000' };
  if (only.includes('1')) {
    const p1 = await new ServerProcess({ target: 'mysql', env: ladderEnv }).start();
    try {
      const pids = [p1.pid!, ...infraPids('mysql|redis')];
      warmUp(await p1.baseUrl, 50, pids);
      console.log(ladder(await p1.baseUrl, 'phase1-mysql-ladder', pids, [`${await p1.baseUrl}/metrics`]));
    } finally {
      await p1.stop();
    }
  }
  if (only.includes('3')) {
    const p3 = new Phase3Cluster({ env: ladderEnv, shape });
    try {
      await p3.start();
      const infra = ['mysql', 'redis', 'kafka', 'elasticsearch'].filter((n) => infraPids(n).length > 0);
      const pids = [...p3.names.map((s) => p3.service(s).pid!), ...infra.map((n) => infraPids(n)[0]!)];
      // ws_connections live in the ws instances, pool gauges in every service: sum them all (not HAProxy's).
      const metricsUrls = await Promise.all(p3.names.filter((n) => n !== 'lb').map(async (n) => `${await p3.service(n).baseUrl}/metrics`));
      warmUp(await p3.baseUrl, 50, pids);
      console.log(ladder(await p3.baseUrl, 'phase3-ladder', pids, metricsUrls));
    } finally {
      await p3.stop();
    }
  }
  process.exit(0);
}

for (const rate of rates) {
  if (only.includes('1')) {
  const p1 = await new ServerProcess({ target: 'mysql', env }).start();
  try {
    const pids = [p1.pid!, ...infraPids('mysql|redis')];
    warmUp(await p1.baseUrl, rate, pids);
    console.log(keep(runner(await p1.baseUrl, `phase1-mysql-${rate}`, rate, pids, seconds)));
  } finally {
    await p1.stop();
  }
  }
  if (!only.includes('3')) continue;
  const p3 = new Phase3Cluster({ env, shape });
  try {
    await p3.start();
    const infra = ['mysql', 'redis', 'kafka', 'elasticsearch'].filter((n) => infraPids(n).length > 0);
    const names = [...p3.names, ...infra];
    const pids = [...p3.names.map((s) => p3.service(s).pid!), ...infra.map((n) => infraPids(n)[0]!)];
    warmUp(await p3.baseUrl, rate, pids);
    const { out, perProcess } = await runnerSampling(await p3.baseUrl, `phase3-${rate}`, rate, pids, seconds);
    console.log(keep(out));
    console.log('Phase 3 CPU seconds per process while sending (setup and teardown left out): ' + names.map((s, i) => `${s} ${perProcess[i]!.toFixed(2)}`).join(', '));
  } finally {
    await p3.stop();
  }
}
