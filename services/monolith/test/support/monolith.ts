import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@chat/shared/kernel/config';
import { buildMonolith } from '../../src/app';

/** An embedded monolith in a temporary data dir, rate limits off (unless `env` says otherwise), closed when the test ends; driven with app.inject. */
export async function testMonolith(t: Test, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-monolith-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const monolith = await buildMonolith(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false', ...env }));
  t.teardown(() => monolith.close());
  await monolith.app.ready();
  return monolith.app;
}
