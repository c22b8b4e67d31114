import t from 'tap';
import { Phase3Cluster, phase3Available, PHASE3_SERVICES } from '@chat/shared/testing/phase3-cluster';
import { canFault, freeze, killAndRestart, type BackingService } from '@chat/shared/testing/service-faults';
import { api } from '../blackbox/client';
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
    unexpectedExits: () => PHASE3_SERVICES.reduce((n, s) => n + cluster.service(s).unexpectedExits, 0),
  });
  const figures: FaultFigures[] = [];
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
  t.test('figures', async (t) => {
    t.comment(figures.map((f) => JSON.stringify(f)).join('\n'));
  });
}
