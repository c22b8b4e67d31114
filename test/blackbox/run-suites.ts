import type { Test } from 'tap';
import type { ChatServer } from '@chat/shared/testing/chat-server';
import { authSuite } from './auth.suite';
import { clientSdkSuite } from './client-sdk.suite';
import { concurrencySuite } from './concurrency.suite';
import { contractDocsSuite } from './contract-docs.suite';
import { crashSuite } from './crash.suite';
import { creationLimitsSuite } from './creation-limits.suite';
import { makeCtx, type Ctx } from './harness';
import { historySuite } from './history.suite';
import { httpLimitsSuite } from './http-limits.suite';
import { loginFloodSuite } from './login-flood.suite';
import { membersSuite } from './members.suite';
import { messagesSuite } from './messages.suite';
import { operationsSuite } from './operations.suite';
import { racesSuite } from './races.suite';
import { rateLimitSuite } from './rate-limit.suite';
import { readinessSuite } from './readiness.suite';
import { roomsSuite } from './rooms.suite';
import { routeAuthSuite } from './route-auth.suite';
import { searchSuite } from './search.suite';
import { timelineSuite } from './timeline.suite';
import { tokensSuite } from './tokens.suite';
import { validationSuite } from './validation.suite';
import { visibilitySuite } from './visibility.suite';
import { wsAuthSuite } from './ws-auth.suite';
import { wsLimitsSuite } from './ws-limits.suite';
import { wsBudgetSuite } from './ws-budget.suite';
import { wsEventsSuite } from './ws-events.suite';
import { wsFaultsSuite } from './ws-faults.suite';
import { wsSuite } from './ws.suite';

/** Every suite, in the order API.md reads. `BLACKBOX_SUITES=auth,ws` runs a subset. */
export const SUITES: ReadonlyArray<readonly [string, (t: Test, ctx: Ctx) => void]> = [
  ['operations', operationsSuite],
  ['contract-docs', contractDocsSuite],
  ['route-auth', routeAuthSuite],
  ['http-limits', httpLimitsSuite],
  ['auth', authSuite],
  ['tokens', tokensSuite],
  ['rooms', roomsSuite],
  ['members', membersSuite],
  ['visibility', visibilitySuite],
  ['messages', messagesSuite],
  ['history', historySuite],
  ['timeline', timelineSuite],
  ['search', searchSuite],
  ['ws-auth', wsAuthSuite],
  ['ws', wsSuite],
  ['ws-events', wsEventsSuite],
  ['ws-limits', wsLimitsSuite],
  ['ws-budget', wsBudgetSuite],
  ['ws-faults', wsFaultsSuite],
  ['client-sdk', clientSdkSuite],
  ['validation', validationSuite],
  ['rate-limit', rateLimitSuite],
  ['login-flood', loginFloodSuite],
  ['creation-limits', creationLimitsSuite],
  ['concurrency', concurrencySuite],
  ['races', racesSuite],
  ['crash', crashSuite],
  ['readiness', readinessSuite],
];

/** Starts `server`, runs the selected suites against it, stops it at the end. */
export function runBlackbox(root: Test, server: ChatServer): void {
  const timeout = 45 * 60_000;
  root.setTimeout(timeout);
  const listed = (process.env.BLACKBOX_SUITES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const only = listed.length > 0 ? listed : undefined;
  const unknown = listed.filter((n) => !SUITES.some(([name]) => name === n));
  if (unknown.length > 0) root.fail(`BLACKBOX_SUITES names unknown suites: ${unknown.join(', ')}`);
  root.test(`black box, target ${server.options.target}`, { timeout }, async (t) => {
    t.teardown(() => server.stop());
    try {
      await server.start();
    } catch (err) {
      t.fail(`the server did not start: ${(err as Error).message}`);
      return;
    }
    const ctx = await makeCtx(server);
    for (const [name, suite] of SUITES) {
      if (only && !only.includes(name)) continue;
      t.test(name, { timeout: 15 * 60_000 }, async (t) => {
        t.teardown(() => {
          if (!t.passing()) t.comment(`server output (tail):\n${server.logs().slice(-3000)}`);
        });
        suite(t, ctx);
      });
    }
  });
}
