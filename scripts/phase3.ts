import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SHAPE, Phase3Cluster } from '../shared/src/testing/phase3-cluster';

/**
 * `npm run phase3 [-- --ws 3 --message 2 --search 2 --notification 2]`:
 * every Phase 3 service as local processes (that many instances of each,
 * defaults below) behind HAProxy on PORT (default 3000). Data lives in
 * databases/topics/index named "local", so a restart keeps it. Ctrl-C stops
 * everything.
 */
const { values } = parseArgs({
  options: {
    ws: { type: 'string', default: String(DEFAULT_SHAPE.ws) },
    message: { type: 'string', default: String(DEFAULT_SHAPE.message) },
    search: { type: 'string', default: String(DEFAULT_SHAPE.search) },
    notification: { type: 'string', default: String(DEFAULT_SHAPE.notification) },
  },
});
const shape = { ws: Number(values.ws), message: Number(values.message), search: Number(values.search), notification: Number(values.notification) };
const secretFile = 'data/phase3-jwt-secret';
if (!process.env.JWT_SECRET) {
  mkdirSync('data', { recursive: true });
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  process.env.JWT_SECRET = readFileSync(secretFile, 'utf8').trim();
}
const port = Number(process.env.PORT ?? 3000);
let cluster: Phase3Cluster;
try {
  cluster = new Phase3Cluster({ env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', RATE_LIMIT_ENABLED: process.env.RATE_LIMIT_ENABLED ?? 'true' }, publicPort: port, id: 'local', shape });
} catch (err) {
  console.error(`phase3: ${(err as Error).message}`);
  process.exit(2);
}
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
for (const s of cluster.names) console.error(`phase3: ${s.padEnd(16)} pid ${cluster.service(s).pid} on ${await cluster.service(s).baseUrl}`);
console.error(`phase3: the chat is at http://localhost:${port} (Ctrl-C to stop)`);
setInterval(() => undefined, 1 << 30);
