// The k6 scripts cannot run here (no k6 binary), so this proves what can be
// proved without it: they type-check against @types/k6, and every HTTP route
// and WebSocket frame type they use is part of the public contract (API.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const K6_DIR = join(REPO_ROOT, 'loadtest/k6');
const API_MD = resolve(REPO_ROOT, '../shared/API.md');

function k6Sources(): { file: string; text: string }[] {
  const files = [
    ...readdirSync(K6_DIR).filter((f) => f.endsWith('.js')),
    ...readdirSync(join(K6_DIR, 'lib')).filter((f) => f.endsWith('.js')).map((f) => `lib/${f}`),
  ];
  return files.map((file) => ({ file, text: readFileSync(join(K6_DIR, file), 'utf8') }));
}

/** `/v1/rooms/:roomId/members/:userId` → `/v1/rooms/:/members/:` */
const normalise = (path: string): string => path.replace(/:\w+/g, ':').replace(/\/$/, '');

function contractRoutes(md: string): Set<string> {
  const routes = new Set<string>();
  for (const m of md.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)/g)) routes.add(`${m[1]} ${normalise(m[2]!)}`);
  return routes;
}

t.test('k6 scripts type-check against @types/k6', async (t) => {
  const tsc = join(REPO_ROOT, 'node_modules/.bin/tsc');
  let output = '';
  let ok = true;
  try {
    execFileSync(tsc, ['-p', 'loadtest/k6/tsconfig.json', '--noEmit'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    ok = false;
    const e = err as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  t.ok(ok, `tsc -p loadtest/k6/tsconfig.json --noEmit${ok ? '' : `:\n${output}`}`);
});

t.test('every route and frame type the k6 scripts use is in API.md', async (t) => {
  t.ok(existsSync(API_MD), `contract found at ${API_MD}`);
  if (!existsSync(API_MD)) return;
  const md = readFileSync(API_MD, 'utf8');
  const routes = contractRoutes(md);
  const sources = k6Sources();

  // All HTTP goes through req(); a direct http.* call elsewhere would escape this check.
  for (const { file, text } of sources) {
    const direct = [...text.matchAll(/\bhttp\.(get|post|put|patch|del|request|batch|head|options)\(/g)];
    t.equal(direct.length, file === 'lib/api.js' ? 1 : 0, `${file}: HTTP calls only through req()`);
  }

  const used = new Set<string>();
  for (const { text } of sources) {
    for (const m of text.matchAll(/\breq\(\s*'(GET|POST|PUT|PATCH|DELETE)'\s*,\s*'([^']+)'/g)) used.add(`${m[1]} ${m[2]}`);
  }
  t.ok(used.size >= 8, `the scripts use ${used.size} routes`);
  for (const route of used) {
    const [method, path] = route.split(' ') as [string, string];
    t.ok(routes.has(`${method} ${normalise(path)}`), `route ${route} is in API.md`);
  }

  const ws = sources.find((s) => s.file === 'lib/ws.js')!.text;
  const sent = new Set([...ws.matchAll(/\btype: '(\w+)'/g)].map((m) => m[1]!));
  const handled = new Set([...ws.matchAll(/\bcase '(\w+)':/g)].map((m) => m[1]!));
  t.ok(sent.has('subscribe') && sent.has('send') && handled.has('event'), 'ws frames were found');
  for (const type of [...sent, ...handled]) t.ok(md.includes(`"type":"${type}"`), `ws frame "${type}" is in API.md`);
  for (const m of ws.matchAll(/event\.type === '([\w.]+)'/g)) t.ok(md.includes(`\`${m[1]}`), `timeline event ${m[1]} is in API.md`);
  t.ok(md.includes('GET /v1/ws'), 'the WebSocket endpoint is in API.md');
});
