// A small self-made SVG line chart (no network, no dependencies).
import type { Sample } from './monitor';

interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly (number | undefined)[];
}

const W = 860;
const PANEL_H = 170;
const PAD = { l: 70, r: 150, t: 24, b: 22 };

/** Escapes text for SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The next round axis maximum (1, 2, 2.5, 5 × 10^k) at or above `v`. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function panel(y0: number, title: string, unit: string, ts: readonly number[], series: readonly Series[]): string {
  const iw = W - PAD.l - PAD.r;
  const ih = PANEL_H - PAD.t - PAD.b;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const ymax = niceMax(Math.max(0, ...all));
  const tmax = Math.max(1, ...ts);
  const x = (t: number): number => PAD.l + (t / tmax) * iw;
  const y = (v: number): number => y0 + PAD.t + ih - (Math.min(v, ymax) / ymax) * ih;
  const out: string[] = [];
  out.push(`<text x="${PAD.l}" y="${y0 + 15}" font-size="13" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${PAD.l}" y="${y0 + PAD.t}" width="${iw}" height="${ih}" fill="none" stroke="#bbb"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (ymax * k) / 4;
    const yy = y(v);
    out.push(`<line x1="${PAD.l}" x2="${PAD.l + iw}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.l - 6}" y="${yy + 4}" font-size="10" text-anchor="end">${esc(fmt(v))}${k === 4 ? ` ${esc(unit)}` : ''}</text>`);
  }
  out.push(`<text x="${PAD.l + iw}" y="${y0 + PANEL_H - 6}" font-size="10" text-anchor="end">${tmax.toFixed(0)} s</text>`);
  series.forEach((s, si) => {
    const pts = s.values
      .map((v, i) => (v === undefined || !Number.isFinite(v) ? undefined : `${x(ts[i]!).toFixed(1)},${y(v).toFixed(1)}`))
      .filter(Boolean)
      .join(' ');
    if (pts) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${pts}"/>`);
    const ly = y0 + PAD.t + 12 + si * 16;
    out.push(`<line x1="${W - PAD.r + 10}" x2="${W - PAD.r + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    out.push(`<text x="${W - PAD.r + 32}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Axis label: 1.2M, 15k, 250, 12, 2.5. */
export function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (v >= 100) return v.toFixed(0);
  return v.toFixed(v >= 10 ? 0 : 1);
}

/** Four panels over time: throughput, latency percentiles, CPU, server memory. */
export function timelineSvg(title: string, samples: readonly Sample[]): string {
  const ts = samples.map((s) => s.t);
  const pick = (f: (s: Sample) => number | undefined): (number | undefined)[] => samples.map(f);
  const panels = [
    panel(30, 'Throughput', '/s', ts, [
      { name: 'sent msgs/s', color: '#1f77b4', values: pick((s) => s.sendRps) },
      { name: 'acked msgs/s', color: '#2ca02c', values: pick((s) => s.ackRps) },
      { name: 'delivered/s', color: '#ff7f0e', values: pick((s) => s.deliverRps) },
      { name: 'errors/s', color: '#d62728', values: pick((s) => s.errors) },
    ]),
    panel(30 + PANEL_H, 'send→deliver latency (from intended send time)', 'ms', ts, [
      { name: 'p50', color: '#2ca02c', values: pick((s) => s.deliverP50) },
      { name: 'p95', color: '#bcbd22', values: pick((s) => s.deliverP95) },
      { name: 'p99', color: '#ff7f0e', values: pick((s) => s.deliverP99) },
      { name: 'max', color: '#d62728', values: pick((s) => s.deliverMax) },
      { name: 'ack p99', color: '#9467bd', values: pick((s) => s.ackP99) },
    ]),
    panel(30 + 2 * PANEL_H, 'CPU (100% = one core)', '%', ts, [
      { name: 'server', color: '#1f77b4', values: pick((s) => s.serverCpuPct) },
      { name: 'generator', color: '#8c564b', values: pick((s) => s.genCpuPct) },
      { name: 'gen loop lag p99 ms', color: '#e377c2', values: pick((s) => s.genLagP99Ms) },
    ]),
    panel(30 + 3 * PANEL_H, 'Server memory', 'MB', ts, [{ name: 'RSS', color: '#17becf', values: pick((s) => s.serverRssMb) }]),
  ];
  const h = 40 + 4 * PANEL_H;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="18" font-size="14" text-anchor="middle">${esc(title)}</text>
${panels.join('\n')}
</svg>
`;
}
