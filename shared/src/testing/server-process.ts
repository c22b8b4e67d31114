import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where a black-box test points: the embedded default, or real MySQL + Redis. */
export type Target = 'embedded' | 'mysql';

export interface ServerOptions {
  readonly target: Target;
  /** Extra environment for the server (rate limits, TTLs, …). */
  readonly env?: Record<string, string>;
  /** Entry point relative to the repo root; the monolith by default. */
  readonly entry?: string;
  /** A fixed port instead of a free one. */
  readonly port?: number;
  /**
   * Another program instead of `node --import tsx <entry>`: executable and
   * arguments (HAProxy). It must answer GET /healthz on `port` like a service.
   */
  readonly command?: readonly string[];
  /** The signal stop() sends for a graceful stop (default SIGTERM; HAProxy's is SIGUSR1). */
  readonly stopSignal?: NodeJS.Signals;
}

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** The lowest port the kernel hands out for outgoing connections (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Ports this process handed out: a cluster picks a dozen before any is bound, and must not get one twice. */
const handedOut = new Set<number>();

/**
 * A port free now, below the kernel's ephemeral range: a server started
 * seconds later (a cluster's load balancer starts after a dozen processes
 * opened their outgoing connections) cannot find it taken by one of them.
 * Never the same port twice in one process, and each test process draws
 * from its own slice of the range (by pid), so that two test files running
 * side by side do not pick the same port while neither has bound it yet
 * (seen once in CI: HAProxy's stats port taken, 'Address already in use').
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = ephemeralLow() - 1;
  const slices = 8;
  const size = Math.floor((high - low) / slices);
  const start = low + (process.pid % slices) * size;
  for (let attempt = 0; attempt < 200; attempt++) {
    // The first half of the attempts in this process's slice, then anywhere in the range.
    const port = attempt < 100 ? start + Math.floor(Math.random() * size) : low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}

/** True when the environment names a real MySQL and Redis for the `mysql` target. */
export function hasRealServices(): boolean {
  return Boolean(process.env.DATABASE_URL?.startsWith('mysql://') && process.env.REDIS_URL);
}

function databaseUrlFor(target: Target, dataDir: string): string {
  if (target === 'embedded') return `sqlite:${join(dataDir, 'chat.db')}`;
  const base = process.env.DATABASE_URL;
  if (!base?.startsWith('mysql://')) throw new Error('target mysql needs DATABASE_URL=mysql://…');
  const url = new URL(base);
  url.pathname = `/chat_test_${randomBytes(4).toString('hex')}`;
  return url.toString();
}

/**
 * A chat server in its own process, on its own port and data, as a client
 * meets it. `kill()` is a kill -9; `start()` again reuses the same data.
 */
export class ServerProcess {
  readonly port: Promise<number>;
  readonly env: Record<string, string>;
  private child: ChildProcess | undefined;
  private output = '';
  /** Set while we stop or kill it ourselves: an exit then is expected. */
  private stopping = false;
  private readonly exitListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
  /** Exits nobody asked for (a crash, an unhandled error), since this object was made. */
  unexpectedExits = 0;

  constructor(readonly options: ServerOptions) {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-bb-'));
    this.env = {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrlFor(options.target, dataDir),
      JWT_SECRET: randomBytes(32).toString('hex'),
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      ...(options.target === 'mysql' && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...options.env,
    };
    this.port = options.port ? Promise.resolve(options.port) : freePort();
  }

  get baseUrl(): Promise<string> {
    return this.port.then((p) => `http://127.0.0.1:${p}`);
  }

  get wsUrl(): Promise<string> {
    return this.port.then((p) => `ws://127.0.0.1:${p}/v1/ws`);
  }

  /** Starts the process and resolves when /healthz answers 200. */
  async start(timeoutMs = 30_000): Promise<this> {
    // Already running (a cluster restarting only what was killed): nothing to start.
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this;
    const port = await this.port;
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.env, PORT: String(port) };
    // A service reads <SERVICE>_PORT before PORT; only PORT is ours to set here.
    for (const k of Object.keys(env)) if (/_PORT$/.test(k) && k !== 'PORT' && !(k in this.env)) delete env[k];
    // Phase 1 targets run on what they name: embedded on nothing, mysql on MySQL + Redis only.
    for (const name of ['REDIS_URL', 'KAFKA_BROKERS', 'ELASTICSEARCH_URL']) {
      if (name in this.env) continue;
      if (this.options.target === 'embedded' || name !== 'REDIS_URL') delete env[name];
    }
    const entry = this.options.entry ?? 'services/monolith/src/main.ts';
    const [file, ...args] = this.options.command ?? [process.execPath, ...(process.env.SERVER_NODE_ARGS ? process.env.SERVER_NODE_ARGS.split(' ') : []), '--import', 'tsx', entry];
    this.child = spawn(file!, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.stopping = false;
    this.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.unexpectedExits++;
      for (const listener of this.exitListeners) listener(code, signal);
    });
    this.child.stdout!.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    this.child.stderr!.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    const exited = new Promise<never>((_, reject) => {
      this.child!.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${this.output}`)));
      // A command that cannot be run at all (no such file) never exits: it fails to spawn.
      this.child!.once('error', (err) => reject(new Error(`server did not start: ${err.message}`)));
    });
    const started = Date.now();
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() - started > timeoutMs) throw new Error(`server not healthy in ${timeoutMs} ms:\n${this.output}`);
      await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]);
    }
    exited.catch(() => undefined);
    return this;
  }

  /** Called when the process exits without being asked to (not by stop() or kill()). */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitListeners.push(listener);
  }

  /** The last lines the server printed (for failure messages). */
  logs(): string {
    return this.output;
  }

  /** The process id while it runs (for CPU/RSS sampling). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process runs (started and not exited). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9: no drain, no flush. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Graceful stop (SIGTERM, or the command's stopSignal); resolves when the process has exited. */
  async stop(): Promise<void> {
    await this.signal(this.options.stopSignal ?? 'SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    this.stopping = true;
    child.kill(sig);
    await gone;
    this.child = undefined;
  }
}
