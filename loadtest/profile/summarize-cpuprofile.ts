// Top self-time functions (and packages) of a V8 .cpuprofile, as Markdown.
//   tsx loadtest/profile/summarize-cpuprofile.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** `file:///…/node_modules/fastify/lib/x.js` → `fastify`; our sources keep their repo path. */
export function ownerOf(url: string): string {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node core';
  const m = /(shared\/src|services\/[^/]+\/src)\/.*$/.exec(url);
  return m ? m[0] : url;
}

export function summarise(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const fns = new Map<string, number>();
  const owners = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const owner = ownerOf(url);
    const key = `${functionName || '(anonymous)'} — ${owner}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const rows = (m: Map<string, number>, n: number): string[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `| ${k.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} | ${((us / total) * 100).toFixed(1)}% |`);
  return [
    `Profile span ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${(total / 1e6).toFixed(1)} s sampled.`,
    '',
    '| function — where | self ms | self % |',
    '|---|---|---|',
    ...rows(fns, top),
    '',
    '| package / source file | self ms | self % |',
    '|---|---|---|',
    ...rows(owners, 15),
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: summarize-cpuprofile.ts <file.cpuprofile> [top]');
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25)));
}
