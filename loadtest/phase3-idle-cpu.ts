// npx tsx loadtest/phase3-idle-cpu.ts: CPU of every Phase 3 process (and the backing services) with no traffic at all,
// sampled from /proc over SECONDS (default 20) after a settle time. What the stack costs doing nothing.
import { readFileSync } from 'node:fs';
import { Phase3Cluster } from '../shared/src/testing/phase3-cluster';

const seconds = Number(process.env.SECONDS ?? 20);
const shape = { ws: 1, message: 1, search: 1, notification: 1 };
const infraPid = (n: string) => {
  try {
    return Number(readFileSync(`${process.env.SERVICES_DIR ?? '.services'}/${n}/run/pid`, 'utf8').trim());
  } catch {
    return 0;
  }
};
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const cluster = new Phase3Cluster({ env: { LOG_LEVEL: 'warn' }, shape });
try {
  await cluster.start();
  await new Promise((r) => setTimeout(r, 10_000));
  const infra = ['mysql', 'redis', 'kafka', 'elasticsearch'].filter((n) => infraPid(n) > 0);
  const names = [...cluster.names, ...infra];
  const pids = [...cluster.names.map((n) => cluster.service(n).pid!), ...infra.map(infraPid)];
  const before = pids.map(cpuOf);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = pids.map((p, i) => cpuOf(p) - before[i]!);
  const total = used.reduce((a, b) => a + b, 0);
  console.log(`idle ${seconds} s: ${((100 * total) / seconds).toFixed(1)} % of one core in all`);
  console.log(names.map((n, i) => `${n} ${((100 * used[i]!) / seconds).toFixed(1)} %`).join(', '));
} finally {
  await cluster.stop();
}
