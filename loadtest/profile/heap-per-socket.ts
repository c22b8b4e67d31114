// Retained heap per idle, authenticated, subscribed socket, by constructor.
// Two heap snapshots of the server (V8 collects garbage before each): one after
// setup with a few sockets, one with N more; the difference ÷ N, largest first.
// The runner's idle scenario reads heap *used* from /metrics, which still holds
// the garbage of 15,000 handshakes; this is what a socket keeps.
//   tsx loadtest/profile/heap-per-socket.ts [--target embedded|mysql] [--sockets 2000] [--top 25]
import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerProcess } from '../../shared/src/testing/server-process';
import { chatTarget } from '../runner/targets';

const { values: v } = parseArgs({
  options: {
    target: { type: 'string', default: 'embedded' },
    sockets: { type: 'string', default: '2000' },
    top: { type: 'string', default: '25' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../results') },
  },
});
const N = Number(v.sockets);
const REPO = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'chat-heap-'));
// SIGUSR2 would shut the server down (close-with-grace listens to it); SIGWINCH is free.
process.env.SERVER_NODE_ARGS = [process.env.SERVER_NODE_ARGS, '--heapsnapshot-signal=SIGWINCH'].filter(Boolean).join(' ');
const server = await new ServerProcess({ target: v.target as 'embedded' | 'mysql', env: { PASSWORD_HASH_LOG_N: '12' } }).start();

async function snapshot(label: string): Promise<string> {
  const existing = new Set(readdirSync(REPO).filter((f) => f.endsWith('.heapsnapshot')));
  process.kill(server.pid!, 'SIGWINCH');
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(REPO).find((f) => f.endsWith('.heapsnapshot') && !existing.has(f));
    if (!file) continue;
    // Written in one go at the end; wait until its size stops changing.
    let size = -1;
    for (let s = readFileSync(join(REPO, file)).length; s !== size; s = readFileSync(join(REPO, file)).length) {
      size = s;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const to = join(dir, `${label}.heapsnapshot`);
    renameSync(join(REPO, file), to);
    return to;
  }
}

interface Totals { byKind: Map<string, { count: number; bytes: number }>; total: number }
function totals(file: string): Totals {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const fields = s.snapshot.meta.node_fields as string[];
  const types = s.snapshot.meta.node_types[0] as string[];
  const [w, iType, iName, iSize] = [fields.length, fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const byKind = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += w) {
    const type = types[s.nodes[i + iType]]!;
    const named = type === 'object' || type === 'closure' || type === 'native';
    const kind = named ? `${type} ${String(s.strings[s.nodes[i + iName]]).slice(0, 60)}` : `(${type})`;
    const e = byKind.get(kind) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize];
    byKind.set(kind, e);
    total += s.nodes[i + iSize];
  }
  return { byKind, total };
}

try {
  const sut = chatTarget(await server.baseUrl);
  const users = await sut.createUsers(20);
  const rooms = [await sut.createRoom(users[0]!, users.slice(1, 10), 'heap a'), await sut.createRoom(users[10]!, users.slice(11, 20), 'heap b')];
  const roomOf = (i: number) => rooms[i % 20 < 10 ? 0 : 1]!;
  // A few sockets first, so code and caches for the socket path exist in both snapshots.
  const warm = await Promise.all(users.slice(0, 10).map((u) => sut.connect(u)));
  await Promise.all(warm.map((c, i) => c.subscribe(roomOf(i))));
  const a = totals(await snapshot('before'));
  const conns = [];
  for (let i = 0; i < N; i++) conns.push(await sut.connect(users[i % 20]!));
  await Promise.all(conns.map((c, i) => c.subscribe(roomOf(i))));
  await new Promise((r) => setTimeout(r, 2000));
  const b = totals(await snapshot('after'));
  const rows = [...b.byKind]
    .map(([kind, e]) => ({ kind, count: (e.count - (a.byKind.get(kind)?.count ?? 0)) / N, bytes: (e.bytes - (a.byKind.get(kind)?.bytes ?? 0)) / N }))
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, Number(v.top));
  const perSocket = (b.total - a.total) / N;
  const md = [
    `### Retained heap per idle socket: ${v.target}, ${N} sockets`,
    '',
    `\`npx tsx loadtest/profile/heap-per-socket.ts --target ${v.target} --sockets ${N}\` on ${new Date().toISOString()}`,
    '',
    `Heap after full GC: ${(a.total / 1e6).toFixed(1)} → ${(b.total / 1e6).toFixed(1)} MB = **${perSocket.toFixed(0)} bytes per socket** (authenticated, subscribed to one room).`,
    '',
    '| kind (V8 heap snapshot) | bytes per socket | objects per socket |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.kind} | ${r.bytes.toFixed(0)} | ${r.count.toFixed(2)} |`),
    '',
  ].join('\n');
  console.log(md);
  writeFileSync(join(v.out!, `${new Date().toISOString().slice(0, 10)}-heap-per-socket-${v.target}.md`), md);
  for (const c of conns) c.close();
  for (const c of warm) c.close();
} finally {
  await server.stop();
}
