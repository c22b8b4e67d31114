// npx tsx loadtest/compare-phases.ts: the same runner scenario against Phase 1 (MariaDB + Redis) and Phase 3, back to back.
// Needs DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ELASTICSEARCH_URL (eval "$(npm run -s services:up -- mysql redis kafka elasticsearch)").
// Phase 1 (MariaDB + Redis) vs Phase 3 send→deliver latency with the same runner, same machine, back to back.
import { execFileSync } from 'node:child_process';
import { ServerProcess } from '../shared/src/testing/server-process';
import { Phase3Cluster } from '../shared/src/testing/phase3-cluster';
const args = (base: string, label: string, pid: number) => ['--import', 'tsx', 'loadtest/runner/cli.ts', '--scenario', 'rooms', '--rooms', '10', '--members', '10', '--rate', '200', '--duration', '15', '--users', '20', '--via', 'ws', '--no-pin', '--base-url', base, '--server-pid', String(pid), '--label', label];
const p1 = await new ServerProcess({ target: 'mysql', env: { LOG_LEVEL: 'warn', PASSWORD_HASH_LOG_N: '12' } }).start();
try {
  console.log(execFileSync(process.execPath, args(await p1.baseUrl, 'phase1-mysql-latency', p1.pid!), { encoding: 'utf8' }).slice(-2500));
} finally { await p1.stop(); }
const p3 = new Phase3Cluster({ PASSWORD_HASH_LOG_N: '12' });
try {
  await p3.start();
  console.log(execFileSync(process.execPath, args(await p3.baseUrl, 'phase3-latency', p3.service('message').pid!), { encoding: 'utf8' }).slice(-2500));
} finally { await p3.stop(); }
