// CPU profile of the hot path: starts the monolith under
// `node --cpu-prof --import tsx services/monolith/src/main.ts` (--cpu-prof is
// not allowed in NODE_OPTIONS, so not through the test harness), drives a
// scenario with the runner, stops the server with SIGTERM (the profile is
// written at exit) and prints the top self-time functions.
//   tsx loadtest/profile/profile.ts [--scenario rooms] [--rate 1000] [--duration 15] [--users 20] [--target embedded|mysql]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../runner/anchors';
import { pin } from '../runner/proc';
import { DEFAULTS, measure } from '../runner/run';
import type { ScenarioName } from '../runner/scenarios';
import { chatTarget } from '../runner/targets';
import { summarise } from './summarize-cpuprofile';

const { values: v } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'rooms' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '15' },
    target: { type: 'string', default: 'embedded' },
    users: { type: 'string', default: '20' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../results') },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'chat-prof-'));
const port = await freePort();
const databaseUrl = v.target === 'mysql' ? mysqlUrl() : `sqlite:${join(dir, 'chat.db')}`;
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500', '--import', 'tsx', 'services/monolith/src/main.ts'], {
  cwd: resolve(import.meta.dirname, '../..'),
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    // Phase 1: the monolith on what the target names (mysql = MariaDB + Redis), never Kafka or Elasticsearch.
    KAFKA_BROKERS: '',
    ELASTICSEARCH_URL: '',
    ...(v.target === 'mysql' ? {} : { REDIS_URL: '' }),
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const baseUrl = `http://127.0.0.1:${port}`;
for (let i = 0; !(await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false)); i++) {
  if (i > 600 || child.exitCode !== null) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const pid = child.pid!;
const pinning = { server: pin(pid, '0'), generator: pin(process.pid, '1') };
const scenario = v.scenario as ScenarioName;
await measure(chatTarget(baseUrl), { ...DEFAULTS[scenario], rate: Number(v.rate), durationS: Number(v.duration), users: Number(v.users) }, {
  label: `profile-${v.target}-${scenario}`,
  serverPids: [pid],
  pinning,
});
await new Promise((r) => {
  child.once('exit', r);
  child.kill('SIGTERM');
});
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const md = `## CPU profile: ${v.target}, ${scenario} at ${v.rate} msgs/s for ${v.duration} s\n\nWhole process life (setup included); raw profile: ${join(dir, file)}\n\n${summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')))}`;
const outFile = join(v.out!, `${new Date().toISOString().slice(0, 10)}-profile-${v.target}-${scenario}.md`);
writeFileSync(outFile, md);
console.log(md);
console.error(`[profile] wrote ${outFile}`);
process.exit(0);

function mysqlUrl(): string {
  const base = process.env.DATABASE_URL;
  if (!base?.startsWith('mysql://')) throw new Error('--target mysql needs DATABASE_URL=mysql://… and REDIS_URL');
  const url = new URL(base);
  url.pathname = `/chat_prof_${randomBytes(4).toString('hex')}`;
  return url.toString();
}
