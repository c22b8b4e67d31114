// One SVG of several ladders side by side (docs/performance.md): p99 send→deliver (log scale) and server CPU
// against concurrent users, a line per phase.
//   npx tsx loadtest/ladder-plot.ts OUT.svg label=results/…-ladder.json [label=…]
import { readFileSync, writeFileSync } from 'node:fs';
import { esc } from './runner/svg';

interface Step {
  users: number;
  deliverMs: { count: number; p99: number };
  serverCpuPct?: number;
}

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length === 0) throw new Error('usage: ladder-plot.ts OUT.svg label=FILE.json [label=FILE.json …]');
const series = inputs.map((arg) => {
  const [label, file] = arg.split('=') as [string, string];
  return { label, steps: (JSON.parse(readFileSync(file, 'utf8')) as { steps: Step[] }).steps };
});
const COLORS = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd'];
const users = [...new Set(series.flatMap((s) => s.steps.map((r) => r.users)))].sort((a, b) => a - b);
const PANEL = { w: 420, h: 300, t: 60, l: 70 };
const x = (panel: number, u: number) => panel * (PANEL.w + 60) + PANEL.l + ((users.indexOf(u) + 0.5) / users.length) * PANEL.w;
const p99s = series.flatMap((s) => s.steps.filter((r) => r.deliverMs.count > 0).map((r) => r.deliverMs.p99));
const msMin = 1;
const msMax = 10 ** Math.ceil(Math.log10(Math.max(10, ...p99s)));
const yMs = (v: number) => PANEL.t + PANEL.h - ((Math.log10(Math.max(msMin, v)) - Math.log10(msMin)) / (Math.log10(msMax) - Math.log10(msMin))) * PANEL.h;
const cpuMax = Math.ceil(Math.max(100, ...series.flatMap((s) => s.steps.map((r) => r.serverCpuPct ?? 0))) / 50) * 50;
const yCpu = (v: number) => PANEL.t + PANEL.h - (v / cpuMax) * PANEL.h;
const parts: string[] = [];
for (const [panel, title] of [[0, 'p99 send→deliver (ms, log scale)'], [1, 'server CPU (% of one core)']] as const) {
  const left = panel * (PANEL.w + 60) + PANEL.l;
  parts.push(`<rect x="${left}" y="${PANEL.t}" width="${PANEL.w}" height="${PANEL.h}" fill="none" stroke="#bbb"/>`);
  parts.push(`<text x="${left + PANEL.w / 2}" y="${PANEL.t - 10}" font-size="13" text-anchor="middle">${esc(title)}</text>`);
  for (const u of users) parts.push(`<text x="${x(panel, u)}" y="${PANEL.t + PANEL.h + 16}" font-size="11" text-anchor="middle">${u}</text>`);
  parts.push(`<text x="${left + PANEL.w / 2}" y="${PANEL.t + PANEL.h + 36}" font-size="12" text-anchor="middle">concurrent users</text>`);
  const ticks = panel === 0 ? Array.from({ length: Math.log10(msMax) + 1 }, (_, i) => 10 ** i) : [0, 0.25, 0.5, 0.75, 1].map((f) => f * cpuMax);
  for (const v of ticks) {
    const yy = panel === 0 ? yMs(v) : yCpu(v);
    parts.push(`<line x1="${left}" x2="${left + PANEL.w}" y1="${yy}" y2="${yy}" stroke="#eee"/><text x="${left - 6}" y="${yy + 4}" font-size="10" text-anchor="end">${v}</text>`);
  }
  if (panel === 0) parts.push(`<line x1="${left}" x2="${left + PANEL.w}" y1="${yMs(100)}" y2="${yMs(100)}" stroke="#999" stroke-dasharray="4 3"/><text x="${left + PANEL.w - 4}" y="${yMs(100) - 4}" font-size="10" text-anchor="end" fill="#666">100 ms</text>`);
  series.forEach((s, i) => {
    const pts = s.steps
      .map((r) => (panel === 0 ? (r.deliverMs.count > 0 ? [x(0, r.users), yMs(r.deliverMs.p99)] : undefined) : r.serverCpuPct === undefined ? undefined : [x(1, r.users), yCpu(r.serverCpuPct)]))
      .filter((p): p is number[] => p !== undefined);
    parts.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts.map(([a, b]) => `${a!.toFixed(1)},${b!.toFixed(1)}`).join(' ')}"/>`);
    for (const [a, b] of pts) parts.push(`<circle cx="${a!.toFixed(1)}" cy="${b!.toFixed(1)}" r="3.5" fill="${COLORS[i % COLORS.length]}"/>`);
  });
}
series.forEach((s, i) => parts.push(`<line x1="${PANEL.l + i * 200}" x2="${PANEL.l + i * 200 + 20}" y1="24" y2="24" stroke="${COLORS[i % COLORS.length]}" stroke-width="3"/><text x="${PANEL.l + i * 200 + 26}" y="28" font-size="12">${esc(s.label)}</text>`));
const W = 2 * (PANEL.w + 60) + PANEL.l;
const H = PANEL.t + PANEL.h + 50;
writeFileSync(out, `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`);
console.log(`wrote ${out}`);
