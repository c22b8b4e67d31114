// npx tsx loadtest/profile-phase3.ts: one Phase 3 run (one instance each) with every Node service under --cpu-prof.
// RATE=500 ROOMS=100 MEMBERS=10 SECONDS=20 PROFILE_DIR=/tmp/prof; open the .cpuprofile files in Chrome DevTools,
// or summarise them with `node loadtest/summarise-cpuprofile.cjs FILE`.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Phase3Cluster } from '../shared/src/testing/phase3-cluster';

const [rate, rooms, members, seconds] = [process.env.RATE ?? '500', process.env.ROOMS ?? '100', process.env.MEMBERS ?? '10', process.env.SECONDS ?? '20'];
const dir = process.env.PROFILE_DIR ?? `${tmpdir()}/phase3-profiles`;
const shape = { ws: 1, message: 1, search: 1, notification: 1 };
const cluster = new Phase3Cluster({ env: { LOG_LEVEL: 'warn', PASSWORD_HASH_LOG_N: '12', NODE_OPTIONS: `--require ${new URL('./cpu-profile-preload.cjs', import.meta.url).pathname}`, CPU_PROFILE_DIR: dir }, shape });
const run = (base: string, s: string, out: string) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'loadtest/runner/cli.ts', '--scenario', 'rooms', '--rooms', rooms, '--members', members, '--rate', rate,
    '--duration', s, '--users', '100', '--via', 'ws', '--no-pin', '--base-url', base, '--label', 'profile', '--out', out], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
try {
  await cluster.start();
  const base = await cluster.baseUrl;
  console.log(run(base, seconds, tmpdir()).split('\n').filter((l) => /send→|lost|sent \/ acked/.test(l)).join('\n'));
} finally {
  await cluster.stop();
}
console.log(`profiles in ${dir}: ${cluster.names.join(', ')}`);
