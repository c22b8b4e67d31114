import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Phase3Cluster, PHASE3_SERVICES } from '../shared/src/testing/phase3-cluster';

/**
 * `npm run phase3`: every Phase 3 service as a local process, the public entry
 * point on PORT (default 3000). Data lives in databases/topics/index named
 * "local", so a restart keeps it. Ctrl-C stops everything.
 */
const secretFile = 'data/phase3-jwt-secret';
if (!process.env.JWT_SECRET) {
  mkdirSync('data', { recursive: true });
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  process.env.JWT_SECRET = readFileSync(secretFile, 'utf8').trim();
}
const port = Number(process.env.PORT ?? 3000);
const cluster = new Phase3Cluster({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', RATE_LIMIT_ENABLED: process.env.RATE_LIMIT_ENABLED ?? 'true' }, port, 'local');
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.error('phase3: stopping every service');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
try {
  await cluster.start(120_000);
} catch (err) {
  console.error(String(err));
  console.error(cluster.logs());
  await cluster.stop();
  process.exit(1);
}
cluster.supervise((line) => console.error(`phase3: ${line}`));
for (const s of PHASE3_SERVICES) console.error(`phase3: ${s.padEnd(12)} pid ${cluster.service(s).pid} on ${await cluster.service(s).baseUrl}`);
console.error(`phase3: the chat is at http://localhost:${port} (Ctrl-C to stop)`);
setInterval(() => undefined, 1 << 30);
