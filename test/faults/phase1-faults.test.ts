import t from 'tap';
import { hasRealServices, ServerProcess } from '@chat/shared/testing/server-process';
import { canFault, freeze, killAndRestart } from '@chat/shared/testing/service-faults';
import { api } from '../blackbox/client';
import { runFaultScenario, type FaultTarget } from './fault-scenario';

// Phase 1 on MariaDB + Redis: each dependency frozen for 10 s, and killed -9 and restarted by scripts/services.sh.
if (!hasRealServices() || !canFault(['mysql', 'redis'])) {
  t.plan(0, 'needs MariaDB and Redis started by scripts/services.sh (npm test does it); phase 1 faults are skipped');
} else {
  const server = new ServerProcess({ target: 'mysql' });
  t.teardown(() => server.stop());
  t.before(() => server.start());
  const target = async (): Promise<FaultTarget> => ({ api: api(await server.baseUrl), wsUrl: await server.wsUrl, unexpectedExits: () => server.unexpectedExits });
  const scenarios: Array<[string, () => Promise<void>]> = [
    ['redis frozen 10 s', () => freeze('redis', 10_000)],
    ['redis killed, back after 5 s', () => killAndRestart('redis', 5000)],
    ['mariadb frozen 10 s', () => freeze('mysql', 10_000)],
    ['mariadb killed, back after 5 s', () => killAndRestart('mysql', 5000)],
  ];
  const only = process.env.FAULT_SCENARIOS;
  for (const [name, fault] of scenarios) {
    if (only && !only.split(',').some((w) => name.includes(w.trim()))) continue;
    t.test(`phase 1: ${name}`, { timeout: 300_000 }, async (t) => {
      t.teardown(() => {
        if (!t.passing()) t.comment(`server output (tail):\n${server.logs().slice(-4000)}`);
      });
      await runFaultScenario(t, await target(), name, fault);
    });
  }
}
