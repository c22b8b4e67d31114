import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

export type BackingService = 'mysql' | 'redis' | 'kafka' | 'elasticsearch';

function servicesDir(): string {
  return resolve(REPO_ROOT, process.env.SERVICES_DIR ?? '.services');
}

/** The pid of a backing service that scripts/services.sh started, or undefined (a server we did not start is never touched). */
export function servicePid(name: BackingService): number | undefined {
  const file = join(servicesDir(), name, 'run', 'pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').replace(/\D/g, ''));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** True when every named service was started by the project's scripts, so a test may fault it. */
export function canFault(names: readonly BackingService[]): boolean {
  return names.every((n) => servicePid(n) !== undefined);
}

/** SIGSTOP for `ms`, then SIGCONT: the process is there, its sockets open, and it answers nothing. */
export async function freeze(name: BackingService, ms: number): Promise<void> {
  const pid = servicePid(name);
  if (pid === undefined) throw new Error(`${name} was not started by scripts/services.sh`);
  process.kill(pid, 'SIGSTOP');
  try {
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** kill -9, then `down` time later the project's own script starts it again on the same port and data. */
export async function killAndRestart(name: BackingService, downMs: number): Promise<void> {
  const pid = servicePid(name);
  if (pid === undefined) throw new Error(`${name} was not started by scripts/services.sh`);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && servicePid(name) === pid; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, downMs));
  await run('bash', [join(REPO_ROOT, 'scripts/services.sh'), 'up', name], { cwd: REPO_ROOT, timeout: 300_000 });
}
