// The ladder's one chart: p99 send→deliver (left axis, ms) and server CPU
// (right axis, % of one core) against concurrent users (categorical x axis).
import type { StepRow } from './ladder-summary';
import { esc, fmt, niceMax } from './svg';

const W = 760;
const H = 420;
const PAD = { l: 80, r: 80, t: 60, b: 60 };
const LATENCY_COLOR = '#d62728';
const CPU_COLOR = '#1f77b4';

/** Two series over the steps: deliver p99 (ms) and server CPU %, each on its own labelled axis, with a legend. */
export function ladderSvg(title: string, rows: readonly StepRow[]): string {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const latency = rows.map((r) => (r.deliverMs.count > 0 ? r.deliverMs.p99 : undefined));
  const cpu = rows.map((r) => r.serverCpuPct);
  const msMax = niceMax(Math.max(0, ...latency.filter((v): v is number => v !== undefined)));
  const cpuMax = niceMax(Math.max(100, ...cpu.filter((v): v is number => v !== undefined)));
  // Categorical: one slot per step, the point in its middle.
  const x = (k: number): number => PAD.l + ((k + 0.5) / Math.max(1, rows.length)) * iw;
  const y = (v: number, max: number): number => PAD.t + ih - (Math.min(v, max) / max) * ih;
  const out: string[] = [];
  out.push(`<rect x="${PAD.l}" y="${PAD.t}" width="${iw}" height="${ih}" fill="none" stroke="#bbb"/>`);
  for (let k = 0; k <= 4; k++) {
    const yy = PAD.t + ih - (k / 4) * ih;
    out.push(`<line x1="${PAD.l}" x2="${PAD.l + iw}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.l - 6}" y="${yy + 4}" font-size="10" text-anchor="end" fill="${LATENCY_COLOR}">${esc(fmt((msMax * k) / 4))}</text>`);
    out.push(`<text x="${PAD.l + iw + 6}" y="${yy + 4}" font-size="10" fill="${CPU_COLOR}">${esc(fmt((cpuMax * k) / 4))}</text>`);
  }
  rows.forEach((r, k) => {
    out.push(`<text x="${x(k)}" y="${PAD.t + ih + 16}" font-size="11" text-anchor="middle">${r.users}${r.stoppedBecause ? ' (stopped)' : ''}</text>`);
  });
  out.push(`<text x="${PAD.l + iw / 2}" y="${H - 18}" font-size="12" text-anchor="middle">concurrent users (one step each)</text>`);
  out.push(`<text transform="translate(22 ${PAD.t + ih / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="${LATENCY_COLOR}">p99 send→deliver (ms)</text>`);
  out.push(`<text transform="translate(${W - 20} ${PAD.t + ih / 2}) rotate(90)" font-size="12" text-anchor="middle" fill="${CPU_COLOR}">server CPU (% of one core)</text>`);
  const series = [
    { name: 'p99 send→deliver (ms, left)', color: LATENCY_COLOR, values: latency, max: msMax },
    { name: 'server CPU (% of one core, right)', color: CPU_COLOR, values: cpu, max: cpuMax },
  ];
  series.forEach((s, si) => {
    const pts = s.values.map((v, k) => (v === undefined ? undefined : [x(k), y(v, s.max)] as const)).filter((p): p is readonly [number, number] => p !== undefined);
    if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`);
    for (const [a, b] of pts) out.push(`<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    const lx = PAD.l + si * 260;
    out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${PAD.t - 14}" y2="${PAD.t - 14}" stroke="${s.color}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 26}" y="${PAD.t - 10}" font-size="11">${esc(s.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="22" font-size="14" text-anchor="middle">${esc(title)}</text>
${out.join('\n')}
</svg>
`;
}
