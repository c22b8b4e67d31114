import { randomBytes } from 'node:crypto';
import { loadHttpLimits } from '../kernel/config';
import { haproxyProcess } from './haproxy';
import { freePort, ServerProcess } from './server-process';
import { superviseProcesses } from './supervisor';

/** The services of Phase 3, each started from its own main. */
export type Phase3Role = 'message' | 'api' | 'search' | 'notification' | 'ws' | 'web';

const ENTRY: Record<Phase3Role, string> = {
  message: 'services/message/src/main.ts',
  api: 'services/api/src/main.ts',
  search: 'services/search/src/main.ts',
  notification: 'services/notification/src/main.ts',
  ws: 'services/ws/src/main.ts',
  web: 'services/web/src/main.ts',
};

/** How many instances of each scalable service run (api and web: one each). */
export interface Phase3Shape {
  ws: number;
  message: number;
  search: number;
  notification: number;
}

/** What the tests run: several instances of each scalable service behind the load balancer. */
export const DEFAULT_SHAPE: Phase3Shape = { ws: 3, message: 2, search: 2, notification: 2 };

const SCALABLE = ['ws', 'message', 'search', 'notification'] as const;

/** Instance names: `message-1`, `ws-3`, …; `api`, `web`, and `lb` (the load balancer). */
export function instanceNames(shape: Phase3Shape): string[] {
  return [...SCALABLE.flatMap((role) => Array.from({ length: shape[role] }, (_, i) => `${role}-${i + 1}`)), 'api', 'web'];
}

const roleOf = (name: string): Phase3Role => name.replace(/-\d+$/, '') as Phase3Role;

function withDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export function phase3Available(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.DATABASE_URL?.startsWith('mysql://') && env.REDIS_URL && env.KAFKA_BROKERS && env.ELASTICSEARCH_URL);
}

export interface Phase3ClusterOptions {
  /** Extra environment for every service (and the load balancer's limits). */
  env?: Record<string, string>;
  /** The load balancer's public port (default: a free one). */
  publicPort?: number;
  /** Names the cluster's databases, topics and index: fresh per test cluster, stable ("local") for `npm run phase3`. */
  id?: string;
  shape?: Partial<Phase3Shape>;
}

/**
 * Every Phase 3 service as local processes against real MySQL, Redis, Kafka
 * and Elasticsearch, behind HAProxy on one public port: several instances of
 * ws, message, search and notification (`shape`). The services reach the
 * message service through the load balancer's internal listener, which sends
 * each room to one instance (room affinity, ADR 0014). Each cluster has its
 * own databases, topics, consumer groups and index. It answers like a
 * ServerProcess (baseUrl, wsUrl, start, stop); kill() is a kill -9 of every
 * message instance (the room writers).
 */
export class Phase3Cluster {
  readonly options = { target: 'phase3' as const };
  readonly processes = new Map<string, ServerProcess>();
  readonly shape: Phase3Shape;
  private readonly ready: Promise<void>;
  private stopped = false;
  /** The load balancer's stats (CSV): which servers it routes to. */
  private statsUrl = '';

  constructor(o: Phase3ClusterOptions = {}) {
    this.shape = { ...DEFAULT_SHAPE, ...o.shape };
    for (const role of SCALABLE) if (!Number.isInteger(this.shape[role]) || this.shape[role] < 1 || this.shape[role] > 16) throw new Error(`${role}: between 1 and 16 instances`);
    this.ready = this.plan(o.env ?? {}, o.id ?? randomBytes(4).toString('hex'), o.publicPort);
  }

  /** Every process: the services' instances, then the load balancer. */
  get names(): string[] {
    return [...instanceNames(this.shape), 'lb'];
  }

  private async plan(extra: Record<string, string>, id: string, publicPort?: number): Promise<void> {
    const e = { ...process.env, ...extra };
    if (!phase3Available(e)) throw new Error('phase 3 needs DATABASE_URL=mysql://…, REDIS_URL, KAFKA_BROKERS and ELASTICSEARCH_URL');
    const names = instanceNames(this.shape);
    const ports = new Map(await Promise.all(names.map(async (n) => [n, await freePort()] as const)));
    const [lbPort, internalPort, statsPort] = [publicPort ?? (await freePort()), await freePort(), await freePort()];
    this.statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
    const db = new URL(e.DATABASE_URL!).pathname.slice(1) || 'chat';
    const common: Record<string, string> = {
      JWT_SECRET: e.JWT_SECRET && e.JWT_SECRET.length >= 32 ? e.JWT_SECRET : randomBytes(32).toString('hex'),
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      REDIS_URL: e.REDIS_URL!,
      KAFKA_BROKERS: e.KAFKA_BROKERS!,
      KAFKA_TOPIC_PREFIX: `p3-${id}.`,
      ELASTICSEARCH_URL: e.ELASTICSEARCH_URL!,
      ELASTICSEARCH_INDEX: `messages-${id}`,
      // Internal calls to the message service go through the load balancer: a room to one instance.
      MESSAGE_URL: `http://127.0.0.1:${internalPort}`,
      // The services sit behind the load balancer (on loopback): request.ip is the client it forwards.
      TRUST_PROXY: '127.0.0.1',
      ...extra,
    };
    const dbs: Partial<Record<Phase3Role, string>> = {
      api: withDatabase(e.DATABASE_URL!, `${db}_${id}_api`),
      message: withDatabase(e.DATABASE_URL!, `${db}_${id}_message`),
      notification: withDatabase(e.DATABASE_URL!, `${db}_${id}_notification`),
    };
    for (const name of names) {
      const role = roleOf(name);
      const env: Record<string, string> = { ...common, PORT: String(ports.get(name)) };
      if (dbs[role]) env.DATABASE_URL = dbs[role]!;
      this.processes.set(name, new ServerProcess({ target: 'mysql', entry: ENTRY[role], env, port: ports.get(name) }));
    }
    const servers = (role: Phase3Role) => names.filter((n) => roleOf(n) === role).map((n) => ({ name: n, host: '127.0.0.1', port: ports.get(n)! }));
    const limits = loadHttpLimits({ ...process.env, ...common });
    this.processes.set(
      'lb',
      haproxyProcess({
        public: { host: '127.0.0.1', port: lbPort },
        internal: { host: '127.0.0.1', port: internalPort },
        upstreams: { api: servers('api'), message: servers('message'), search: servers('search'), notification: servers('notification'), ws: servers('ws'), web: servers('web') },
        metricsAllowed: limits.metricsAllowedAddresses,
        maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
        requestTimeoutMs: limits.requestTimeoutMs,
        upstreamTimeoutMs: Number(e.LB_UPSTREAM_TIMEOUT_MS ?? 30_000),
        stats: { host: '127.0.0.1', port: statsPort },
      }),
    );
  }

  get port(): Promise<number> {
    return this.ready.then(() => this.processes.get('lb')!.port);
  }
  get baseUrl(): Promise<string> {
    return this.ready.then(() => this.processes.get('lb')!.baseUrl);
  }
  get wsUrl(): Promise<string> {
    return this.ready.then(() => this.processes.get('lb')!.wsUrl);
  }

  /** The environment every service shares (JWT_SECRET included). */
  get env(): Record<string, string> {
    return this.service('api').env;
  }

  /** One process by name; a bare role (`message`, `ws`, `search`) names its first instance. */
  service(name: string): ServerProcess {
    const p = this.processes.get(name) ?? this.processes.get(`${name}-1`);
    if (!p) throw new Error(`no process "${name}" (or cluster not planned yet: await start() first)`);
    return p;
  }

  /** The sum of one metric's samples (series `name` or `name{…}` containing `labels`) on one process's /metrics. */
  async metric(process: string, name: string, labels = ''): Promise<number> {
    const text = await fetch(`${await this.service(process).baseUrl}/metrics`).then((r) => r.text());
    let sum = 0;
    for (const line of text.split('\n')) {
      const series = line.slice(0, line.lastIndexOf(' '));
      if ((series === name || series.startsWith(`${name}{`)) && series.includes(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /** The instances of one role. */
  instances(role: Phase3Role): ServerProcess[] {
    return [...this.processes].filter(([n]) => n !== 'lb' && roleOf(n) === role).map(([, p]) => p);
  }

  /** Another process of the same service on a free port (same group, same data): for rebalances. */
  cloneService(name: string): ServerProcess {
    const p = this.service(name);
    const env = { ...p.env };
    delete env.PORT;
    return new ServerProcess({ target: 'mysql', entry: p.options.entry, env });
  }

  /**
   * Starts every process not running: the message instances first (the
   * others call them), the load balancer last, once every service answers, so
   * its first health checks find them up.
   */
  async start(timeoutMs = 120_000): Promise<this> {
    await this.ready;
    await Promise.all(this.instances('message').map((p) => p.start(timeoutMs)));
    await Promise.all([...this.processes].filter(([n]) => n !== 'lb' && roleOf(n) !== 'message').map(([, p]) => p.start(timeoutMs)));
    await this.service('lb').start(timeoutMs);
    await this.routed(timeoutMs);
    return this;
  }

  /**
   * Waits until the load balancer routes to every running instance: a
   * restarted one is back in rotation after two passing health checks, and
   * until then a backend whose instances all restarted answers 503.
   */
  private async routed(timeoutMs: number): Promise<void> {
    const running = new Set([...this.processes].filter(([n, p]) => n !== 'lb' && p.running).map(([n]) => n));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const csv = await fetch(this.statsUrl).then((r) => r.text(), () => '');
      // HAProxy's CSV: a header line ("# pxname,svname,…,status,…"), then a row per frontend, server and backend.
      const [header = '', ...rows] = csv.split('\n');
      const columns = header.replace(/^# /, '').split(',');
      const [server, status] = [columns.indexOf('svname'), columns.indexOf('status')];
      const down = rows
        .map((line) => line.split(','))
        .filter((f) => running.has(f[server]!) && f[status] !== 'UP')
        .map((f) => `${f[server]} ${f[status]}`);
      if (csv && down.length === 0) return;
      if (Date.now() > deadline) throw new Error(`the load balancer does not route to ${down.join(', ') || 'anything (no stats)'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9 of every room writer (message instance); start() brings them back on the same data. */
  async kill(): Promise<void> {
    await this.ready;
    await Promise.all(this.instances('message').map((p) => p.kill()));
  }

  /**
   * Restarts any process that exits on its own (after 1 s, doubling to 30 s
   * while it keeps failing), and never stops the others: what a process
   * supervisor (compose's `restart:`) does for `npm run phase3`.
   */
  supervise(log: (line: string) => void): void {
    superviseProcesses(this.processes, log, () => this.stopped);
  }

  /** Exits nobody asked for, summed over every process. */
  unexpectedExits(): number {
    return [...this.processes.values()].reduce((n, p) => n + p.unexpectedExits, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.ready.catch(() => undefined);
    await this.processes.get('lb')?.stop();
    await Promise.all([...this.processes.values()].map((p) => p.stop()));
  }

  logs(): string {
    return [...this.processes].map(([name, p]) => `--- ${name}\n${p.logs().slice(-3000)}`).join('\n');
  }
}
