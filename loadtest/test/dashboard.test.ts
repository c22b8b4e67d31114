// The Grafana dashboard only queries metrics the services expose: our own
// (shared/src/metrics/metrics.ts) or prom-client's defaults.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';

const ROOT = resolve(import.meta.dirname, '../..');
const PROM_CLIENT_DEFAULTS = ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds'];

t.test('every metric in infra/grafana/dashboards/chat.json is exposed', async (t) => {
  const dash = JSON.parse(readFileSync(resolve(ROOT, 'infra/grafana/dashboards/chat.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const ours = new Set([...readFileSync(resolve(ROOT, 'shared/src/metrics/metrics.ts'), 'utf8').matchAll(/name: '([a-z_]+)'/g)].map((m) => m[1]!));
  const used = new Set<string>();
  for (const p of dash.panels) for (const target of p.targets ?? []) for (const m of target.expr.matchAll(/\b([a-z_][a-z0-9_]*)\{/g)) used.add(m[1]!);
  t.ok(used.size >= 15, `${used.size} metric names used`);
  for (const name of used) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    t.ok(ours.has(base) || ours.has(name) || PROM_CLIENT_DEFAULTS.includes(name), `${name} is exposed`);
  }
});
