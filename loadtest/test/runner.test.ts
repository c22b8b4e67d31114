// The load runner measures what it claims: against the bare ws anchor, every
// acked message reaches every member once, and the seq checks catch gaps and repeats.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startAnchor } from '../runner/anchors';
import { DEFAULTS, measure } from '../runner/run';
import { LoadStats, SubscriberCheck } from '../runner/stats';
import { bareWsTarget } from '../runner/targets';

t.test('subscriber check counts gaps as lost and repeats as duplicated', async (t) => {
  const stats = new LoadStats();
  const check = new SubscriberCheck(stats);
  check.subscribed('r', 3);
  t.ok(check.seen('r', 4));
  t.ok(check.seen('r', 7)); // 5 and 6 missing
  t.notOk(check.seen('r', 7));
  t.notOk(check.seen('r', 2));
  stats.maxAckedSeq.set('r', 9); // 8 and 9 never arrived
  t.equal(stats.lost, 2);
  t.equal(stats.duplicated, 2);
  t.equal(check.tailLoss(), 2); // reported as undelivered at close, not as lost
});

t.test('rooms scenario against the bare ws anchor: all delivered, report files written', async (t) => {
  const anchor = await startAnchor('bare-ws-broadcast', '0');
  t.teardown(() => anchor.stop());
  const out = mkdtempSync(join(tmpdir(), 'lt-'));
  const r = await measure(bareWsTarget(anchor.baseUrl), { ...DEFAULTS.rooms, rooms: 5, members: 4, rate: 200, durationS: 2 }, {
    label: 'test-rooms',
    serverPids: [anchor.pid],
    pinning: { server: 'test', generator: 'test' },
    outDir: out,
  });
  t.equal(r.counts.sent, 400);
  t.equal(r.counts.acked, 400);
  t.equal(r.counts.delivered, 1600);
  t.equal(r.counts.lost, 0);
  t.equal(r.counts.duplicated, 0);
  t.ok(r.latencyMs.deliver.count > 0 && r.latencyMs.deliver.p99 > 0);
  t.ok(r.server.cpuSeconds !== undefined, 'server CPU read from /proc');
  const base = join(out, `${r.startedAt.slice(0, 10)}-test-rooms`);
  t.match(readFileSync(`${base}.svg`, 'utf8'), /<svg[\s\S]*polyline/);
  t.match(readFileSync(`${base}.md`, 'utf8'), /send→deliver/);
  t.equal(JSON.parse(readFileSync(`${base}.json`, 'utf8')).counts.delivered, 1600);
});
