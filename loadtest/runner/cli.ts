// Node load runner (where k6 is absent). Examples:
//   tsx loadtest/runner/cli.ts --scenario rooms --base-url http://127.0.0.1:3000 --rate 2000
//   tsx loadtest/runner/cli.ts --scenario big-room --target bare-ws          (starts the anchor itself)
//   tsx loadtest/runner/cli.ts --scenario idle --sockets 15000 --base-url http://127.0.0.1:3000
//   tsx loadtest/runner/cli.ts --scenario ladder --steps 100,500,1000,5000,10000 --step-seconds 30 --base-url http://127.0.0.1:3000
// Options: --target chat|bare-ws|socketio, --base-url, --server-pid pid[,pid…] (summed; else found by port),
// --rooms --members --rate --duration --via ws|http --senders --sockets --users
// --connect-rate --out <dir> (default loadtest/results), --label.
// ladder: --steps --step-seconds --settle --user-rate --room-size --history-every (s; 0 = none)
// --metrics-url url[,url…] (gauges summed; default <base-url>/metrics), with --users (account pool) and --connect-rate.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startAnchor, type RunningServer } from './anchors';
import { LADDER_DEFAULTS, parseSteps, type LadderConfig } from './ladder-plan';
import { measureLadder } from './ladder-report';
import { pidListeningOn, pin } from './proc';
import { DEFAULTS, measure } from './run';
import type { ScenarioConfig, ScenarioName } from './scenarios';
import { bareWsTarget, chatTarget, socketIoTarget } from './targets';

const { values: v } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'rooms' },
    target: { type: 'string', default: 'chat' },
    'base-url': { type: 'string' },
    'server-pid': { type: 'string' },
    rooms: { type: 'string' },
    members: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    via: { type: 'string' },
    senders: { type: 'string' },
    sockets: { type: 'string' },
    users: { type: 'string' },
    'connect-rate': { type: 'string' },
    steps: { type: 'string' },
    'step-seconds': { type: 'string' },
    settle: { type: 'string' },
    'user-rate': { type: 'string' },
    'room-size': { type: 'string' },
    'history-every': { type: 'string' },
    'metrics-url': { type: 'string' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../results') },
    label: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
  },
});

const scenario = v.scenario as ScenarioName | 'ladder';
const base = scenario === 'ladder' ? DEFAULTS.rooms : DEFAULTS[scenario];
if (!base) throw new Error(`--scenario must be one of ${[...Object.keys(DEFAULTS), 'ladder'].join(', ')}`);
const num = (s: string | undefined, d: number): number => (s === undefined ? d : Number(s));
const ladder: LadderConfig = {
  scenario: 'ladder',
  steps: v.steps ? parseSteps(v.steps) : LADDER_DEFAULTS.steps,
  stepSeconds: num(v['step-seconds'], LADDER_DEFAULTS.stepSeconds),
  settleSeconds: num(v.settle, LADDER_DEFAULTS.settleSeconds),
  userMsgRate: num(v['user-rate'], LADDER_DEFAULTS.userMsgRate),
  historyEveryS: num(v['history-every'], LADDER_DEFAULTS.historyEveryS),
  roomSize: num(v['room-size'], LADDER_DEFAULTS.roomSize),
  users: num(v.users, LADDER_DEFAULTS.users),
  connectRate: num(v['connect-rate'], LADDER_DEFAULTS.connectRate),
};
const cfg: ScenarioConfig = {
  ...base,
  rooms: num(v.rooms, base.rooms),
  members: num(v.members, base.members),
  rate: num(v.rate, base.rate),
  durationS: num(v.duration, base.durationS),
  via: (v.via as 'ws' | 'http' | undefined) ?? base.via,
  sendersPerRoom: num(v.senders, base.sendersPerRoom),
  sockets: num(v.sockets, base.sockets),
  users: num(v.users, base.users),
  connectRate: num(v['connect-rate'], base.connectRate),
};

let anchor: RunningServer | undefined;
let baseUrl = v['base-url'];
if (!baseUrl && v.target !== 'chat') {
  anchor = await startAnchor(v.target === 'socketio' ? 'socketio-chat' : 'bare-ws-broadcast');
  baseUrl = anchor.baseUrl;
}
baseUrl ??= 'http://127.0.0.1:3000';
const sut = v.target === 'bare-ws' ? bareWsTarget(baseUrl) : v.target === 'socketio' ? socketIoTarget(baseUrl) : chatTarget(baseUrl);
// --server-pid a,b,c: the server side is several processes (Phase 3 services, MariaDB, Redis, …); CPU and RSS are summed.
const serverPids = v['server-pid'] ? v['server-pid'].split(',').map(Number).filter((n) => n > 0) : [anchor?.pid ?? pidListeningOn(Number(new URL(baseUrl).port || 80))].filter((n): n is number => n !== undefined);
const serverPid = serverPids[0];
const pinning = {
  server: v['no-pin'] ? 'not pinned (--no-pin)' : anchor ? anchor.pinning : serverPid ? pin(serverPid, '0') : 'unknown pid',
  generator: v['no-pin'] ? 'not pinned (--no-pin)' : pin(process.pid, '1'),
};
try {
  const label = v.label ?? `${sut.name}-${scenario}`;
  if (scenario === 'ladder') {
    const metricsUrls = v['metrics-url'] ? v['metrics-url'].split(',').filter(Boolean) : sut.metricsUrl ? [sut.metricsUrl] : [];
    await measureLadder(sut, ladder, { label, serverPids, metricsUrls, pinning, outDir: v.out });
  } else {
    await measure(sut, cfg, { label, serverPids, pinning, outDir: v.out });
  }
} finally {
  await anchor?.stop();
}
process.exit(0);
