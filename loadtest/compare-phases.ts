// npx tsx loadtest/compare-phases.ts: the same runner scenario against Phase 1 (MariaDB + Redis) and Phase 3, back to back.
// Needs DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ELASTICSEARCH_URL (eval "$(npm run -s services:up -- mysql redis kafka elasticsearch)").
// RATES=50,200 (msgs/s over WS, 10 rooms × 10 members, 15 s each). "Server CPU" is the whole server side:
// Phase 1 = monolith + MariaDB + Redis; Phase 3 = every service + MariaDB + Redis + Kafka + Elasticsearch.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ServerProcess } from '../shared/src/testing/server-process';
import { Phase3Cluster, PHASE3_SERVICES } from '../shared/src/testing/phase3-cluster';

const rates = (process.env.RATES ?? '50,200').split(',').map(Number);
const env = { LOG_LEVEL: 'warn', PASSWORD_HASH_LOG_N: '12' };
const infraPids = (names: string) => {
  try {
    return execFileSync('pgrep', ['-f', names], { encoding: 'utf8' }).trim().split('\n').map(Number).filter((n) => n > 0);
  } catch {
    return [];
  }
};
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const run = (base: string, label: string, rate: number, pids: number[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'loadtest/runner/cli.ts', '--scenario', 'rooms', '--rooms', '10', '--members', '10', '--rate', String(rate), '--duration', '15', '--users', '20', '--via', 'ws', '--no-pin', '--base-url', base, '--server-pid', pids.join(','), '--label', label], { encoding: 'utf8' });
const keep = (out: string) => out.split('\n').filter((l) => /^###|send→|sent \/ acked|lost|server CPU|deliveries per|load avg|Warning/.test(l)).join('\n');

for (const rate of rates) {
  const p1 = await new ServerProcess({ target: 'mysql', env }).start();
  try {
    console.log(keep(run(await p1.baseUrl, `phase1-mysql-${rate}`, rate, [p1.pid!, ...infraPids('mariadbd|redis-server')])));
  } finally {
    await p1.stop();
  }
  const p3 = new Phase3Cluster(env);
  try {
    await p3.start();
    const pids = PHASE3_SERVICES.map((s) => p3.service(s).pid!);
    const before = pids.map(cpuOf);
    console.log(keep(run(await p3.baseUrl, `phase3-${rate}`, rate, [...pids, ...infraPids('mariadbd|redis-server|kafka.Kafka|elasticsearch')])));
    console.log('Phase 3 CPU seconds per service during the run (incl. setup): ' + PHASE3_SERVICES.map((s, i) => `${s} ${(cpuOf(pids[i]!) - before[i]!).toFixed(2)}`).join(', '));
  } finally {
    await p3.stop();
  }
}
