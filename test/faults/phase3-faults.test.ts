import t from 'tap';
import { Phase3Cluster, phase3Available } from '@chat/shared/testing/phase3-cluster';
import { canFault, freeze, killAndRestart, type BackingService } from '@chat/shared/testing/service-faults';
import { api, sleep } from '../blackbox/client';
import { runFaultScenario, type FaultFigures, type FaultTarget } from './fault-scenario';

// Phase 3: Kafka, Elasticsearch, Redis and MariaDB each frozen for 10 s, and killed -9 and restarted by scripts/services.sh.
const deps: BackingService[] = ['kafka', 'elasticsearch', 'redis', 'mysql'];
if (!phase3Available() || !canFault(deps)) {
  t.plan(0, 'needs MariaDB, Redis, Kafka and Elasticsearch started by scripts/services.sh (npm test does it); phase 3 faults are skipped');
} else {
  const cluster = new Phase3Cluster();
  t.teardown(() => cluster.stop());
  t.before(() => cluster.start());
  const target = async (): Promise<FaultTarget> => ({
    api: api(await cluster.baseUrl),
    wsUrl: await cluster.wsUrl,
    unexpectedExits: () => cluster.unexpectedExits(),
  });
  const figures: FaultFigures[] = [];
  t.test('every instance takes a share: rooms spread over the writers, partitions over the consumers', async (t) => {
    const a = api(await cluster.baseUrl);
    const [owner, member] = await a.users(2);
    const rooms = await Promise.all(Array.from({ length: 24 }, (_, i) => a.group(owner!, [member!.user.id], `share ${i}`)));
    const before = await shares(cluster);
    for (const room of rooms) for (let i = 0; i < 3; i++) await a.post(owner!, room.id, `share ${i}`);
    let after = await shares(cluster);
    for (let i = 0; i < 40 && Object.entries(after).some(([n, v]) => v - before[n]! === 0); i++) {
      await sleep(250);
      after = await shares(cluster);
    }
    const taken = Object.fromEntries(Object.entries(after).map(([n, v]) => [n, v - before[n]!]));
    t.comment(`work per instance (commands written, events consumed): ${JSON.stringify(taken)}`);
    for (const [name, n] of Object.entries(taken)) t.ok(n > 0, `${name} took a share (${n})`);
    const written = Object.entries(taken).filter(([n]) => n.startsWith('message-')).reduce((s, [, v]) => s + v, 0);
    t.equal(written, 24 * 3, 'each command was written once, by one writer');
  });
  /** FAULT_SCENARIOS=kafka,mysql frozen runs the scenarios whose names contain one of these. */
  const only = process.env.FAULT_SCENARIOS;
  for (const dep of deps) {
    for (const [kind, fault] of [
      ['frozen 10 s', () => freeze(dep, 10_000)],
      ['killed, back after 10 s', () => killAndRestart(dep, 10_000)],
    ] as const) {
      if (only && !only.split(',').some((w) => `${dep} ${kind}`.includes(w.trim()))) continue;
      t.test(`phase 3: ${dep} ${kind}`, { timeout: 420_000 }, async (t) => {
        t.teardown(() => {
          if (!t.passing()) t.comment(`cluster output (tail):\n${cluster.logs().slice(-6000)}`);
        });
        figures.push(await runFaultScenario(t, await target(), `${dep} ${kind}`, fault));
      });
    }
  }
  // Instances die too: kill -9 of one ws instance and of the message instance that owns the room (its writer).
  if (!only || only.split(',').some((w) => 'instances killed'.includes(w.trim()))) {
    t.test('phase 3: a ws instance and the room writer instance killed -9, back after 10 s', { timeout: 420_000 }, async (t) => {
      t.teardown(() => {
        if (!t.passing()) t.comment(`cluster output (tail):\n${cluster.logs().slice(-6000)}`);
      });
      figures.push(
        await runFaultScenario(t, await target(), 'ws and message instances killed', async ({ roomId, send }) => {
          const writer = await busiestWriter(cluster);
          t.comment(`the room's writer is ${writer}; killing it and ws-1`);
          await Promise.all([cluster.service(writer).kill(), cluster.service('ws-1').kill()]);
          const killedAt = Date.now();
          await send(`after the kill ${roomId}`);
          const tookMs = Date.now() - killedAt;
          t.ok(tookMs < 10_000, `the dead writer's room accepted a send ${tookMs} ms after the kill (another instance took it)`);
          await sleep(10_000 - Math.min(tookMs, 10_000));
          await cluster.start(60_000);
        }),
      );
    });
  }
  t.test('figures', async (t) => {
    t.comment(figures.map((f) => JSON.stringify(f)).join('\n'));
  });
}

/** The message instance that wrote the most commands over one second of traffic: the scenario room's writer. */
async function busiestWriter(cluster: Phase3Cluster): Promise<string> {
  const written = (name: string) => cluster.metric(name, 'room_writer_batch_size_sum');
  const names = cluster.names.filter((n) => n.startsWith('message-'));
  const before = await Promise.all(names.map(written));
  await sleep(1000);
  const after = await Promise.all(names.map(written));
  return names[after.map((n, i) => n - before[i]!).reduce((best, d, i, all) => (d > all[best]! ? i : best), 0)]!;
}

/** Per instance: commands written (message) or room events consumed by its group (search, notification). */
async function shares(cluster: Phase3Cluster): Promise<Record<string, number>> {
  const names = cluster.names.filter((n) => /^(message|search|notification)-/.test(n));
  const values = await Promise.all(names.map((name) => cluster.metric(name, name.startsWith('message-') ? 'room_writer_batch_size_sum' : 'eventbus_consumed_total')));
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}
