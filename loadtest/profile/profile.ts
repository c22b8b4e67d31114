// CPU profile of the hot path: starts the monolith under `node --cpu-prof`
// (via NODE_OPTIONS, through the test harness), drives a scenario with the
// runner, stops the server gracefully (the profile is written at exit) and
// prints the top self-time functions.
//   tsx loadtest/profile/profile.ts [--scenario rooms] [--rate 1000] [--duration 15] [--target embedded|mysql]
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerProcess, type Target } from '../../shared/src/testing/server-process';
import { pidListeningOn, pin } from '../runner/proc';
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
    out: { type: 'string', default: resolve(import.meta.dirname, '../results') },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'chat-prof-'));
const server = new ServerProcess({
  target: v.target as Target,
  env: { RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn', NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=500` },
});
await server.start(60_000);
const pid = pidListeningOn(await server.port);
const pinning = { server: pid ? pin(pid, '0') : 'unknown', generator: pin(process.pid, '1') };
const scenario = v.scenario as ScenarioName;
await measure(chatTarget(await server.baseUrl), { ...DEFAULTS[scenario], rate: Number(v.rate), durationS: Number(v.duration) }, {
  label: `profile-${v.target}-${scenario}`,
  serverPids: pid ? [pid] : [],
  pinning,
});
await server.stop();
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const md = `## CPU profile: ${v.target}, ${scenario} at ${v.rate} msgs/s for ${v.duration} s\n\nWhole process life (setup included); raw profile: ${join(dir, file)}\n\n${summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')))}`;
const outFile = join(v.out!, `${new Date().toISOString().slice(0, 10)}-profile-${v.target}-${scenario}.md`);
writeFileSync(outFile, md);
console.log(md);
console.error(`[profile] wrote ${outFile}`);
process.exit(0);
