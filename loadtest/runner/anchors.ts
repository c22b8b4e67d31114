// Starts an anchor server (loadtest/anchors/*) in its own process, pinned.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { coreCount } from './proc';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface RunningServer {
  readonly baseUrl: string;
  readonly pid: number;
  readonly pinning: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`anchor exited with ${child.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`anchor not healthy at ${url}`);
}

/** `kind` is a file in loadtest/anchors without `.ts`. With 2+ cores it runs under `taskset -c <core>`. */
export async function startAnchor(kind: 'bare-ws-broadcast' | 'socketio-chat', core = '0'): Promise<RunningServer> {
  const port = await freePort();
  const nodeArgs = ['--import', 'tsx', `loadtest/anchors/${kind}.ts`];
  const pinned = coreCount() >= 2;
  const child = pinned
    ? spawn('taskset', ['-c', core, process.execPath, ...nodeArgs], { cwd: REPO_ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
    : spawn(process.execPath, nodeArgs, { cwd: REPO_ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitHealthy(baseUrl, child, 20_000);
  return {
    baseUrl,
    // taskset execs node, so the child's pid is the server's.
    pid: child.pid!,
    pinning: pinned ? `pinned to core ${core} (taskset -c)` : 'not pinned (1 core)',
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}
