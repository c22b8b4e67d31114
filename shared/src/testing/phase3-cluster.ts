import { randomBytes } from 'node:crypto';
import { freePort, ServerProcess } from './server-process';
import { superviseProcesses } from './supervisor';

/** The Phase 3 processes, each started from its own main. */
export const PHASE3_SERVICES = ['message', 'api', 'search', 'notification', 'ws-1', 'ws-2', 'web', 'gateway'] as const;
export type Phase3Service = (typeof PHASE3_SERVICES)[number];

const ENTRY: Record<Phase3Service, string> = {
  message: 'services/message/src/main.ts',
  api: 'services/api/src/main.ts',
  search: 'services/search/src/main.ts',
  notification: 'services/notification/src/main.ts',
  'ws-1': 'services/ws/src/main.ts',
  'ws-2': 'services/ws/src/main.ts',
  web: 'services/web/src/main.ts',
  gateway: 'services/gateway/src/main.ts',
};

function withDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export function phase3Available(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.DATABASE_URL?.startsWith('mysql://') && env.REDIS_URL && env.KAFKA_BROKERS && env.ELASTICSEARCH_URL);
}

/**
 * Every Phase 3 service as its own local process against real MySQL, Redis,
 * Kafka and Elasticsearch, behind the gateway on one public port. Each cluster
 * has its own databases, topics, consumer groups and index, so clusters never
 * see each other's data. It answers like a ServerProcess (baseUrl, wsUrl,
 * start, stop); kill() is a kill -9 of the room writer (the message service).
 */
export class Phase3Cluster {
  readonly options = { target: 'phase3' as const };
  readonly processes = new Map<Phase3Service, ServerProcess>();
  private readonly ready: Promise<void>;

  /** `id` names the cluster's databases, topics and index: fresh per test cluster, stable for `npm run phase3`. */
  private stopped = false;

  constructor(env: Record<string, string> = {}, publicPort?: number, id = randomBytes(4).toString('hex')) {
    this.ready = this.plan(env, id, publicPort);
  }

  private async plan(extra: Record<string, string>, id: string, publicPort?: number): Promise<void> {
    const e = { ...process.env, ...extra };
    if (!phase3Available(e)) throw new Error('phase 3 needs DATABASE_URL=mysql://…, REDIS_URL, KAFKA_BROKERS and ELASTICSEARCH_URL');
    const ports = Object.fromEntries(await Promise.all(PHASE3_SERVICES.map(async (s) => [s, s === 'gateway' && publicPort ? publicPort : await freePort()]))) as Record<Phase3Service, number>;
    const url = (s: Phase3Service) => `http://127.0.0.1:${ports[s]}`;
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
      MESSAGE_URL: url('message'),
      ...extra,
    };
    const dbs: Partial<Record<Phase3Service, string>> = {
      api: withDatabase(e.DATABASE_URL!, `${db}_${id}_api`),
      message: withDatabase(e.DATABASE_URL!, `${db}_${id}_message`),
      notification: withDatabase(e.DATABASE_URL!, `${db}_${id}_notification`),
    };
    for (const s of PHASE3_SERVICES) {
      const env: Record<string, string> = { ...common, PORT: String(ports[s]) };
      if (dbs[s]) env.DATABASE_URL = dbs[s]!;
      // The services sit behind the gateway (on loopback): request.ip is the client it forwards.
      if (s !== 'gateway') env.TRUST_PROXY = '127.0.0.1';
      if (s === 'gateway') Object.assign(env, { API_URL: url('api'), MESSAGE_URL: url('message'), SEARCH_URL: url('search'), NOTIFICATION_URL: url('notification'), WEB_URL: url('web'), WS_URLS: `${url('ws-1')},${url('ws-2')}` });
      this.processes.set(s, new ServerProcess({ target: 'mysql', entry: ENTRY[s], env, port: ports[s] }));
    }
  }

  get port(): Promise<number> {
    return this.ready.then(() => this.processes.get('gateway')!.port);
  }
  get baseUrl(): Promise<string> {
    return this.ready.then(() => this.processes.get('gateway')!.baseUrl);
  }
  get wsUrl(): Promise<string> {
    return this.ready.then(() => this.processes.get('gateway')!.wsUrl);
  }

  /** The environment every service shares (JWT_SECRET included). */
  get env(): Record<string, string> {
    return this.service('gateway').env;
  }

  service(name: Phase3Service): ServerProcess {
    const p = this.processes.get(name);
    if (!p) throw new Error(`cluster not planned yet: await start() first`);
    return p;
  }

  /** Another process of the same service on a free port (same group, same data): for rebalances. */
  cloneService(name: Phase3Service): ServerProcess {
    const p = this.service(name);
    const env = { ...p.env };
    delete env.PORT;
    return new ServerProcess({ target: 'mysql', entry: ENTRY[name], env });
  }

  /** Starts every process not running (the message service first: the others call it). */
  async start(timeoutMs = 120_000): Promise<this> {
    await this.ready;
    await this.service('message').start(timeoutMs);
    await Promise.all(PHASE3_SERVICES.filter((s) => s !== 'message').map((s) => this.service(s).start(timeoutMs)));
    return this;
  }

  /** kill -9 of the room writer; start() brings it back on the same data. */
  async kill(): Promise<void> {
    await this.ready;
    await this.service('message').kill();
  }

  /**
   * Restarts any service that exits on its own (after 1 s, doubling to 30 s
   * while it keeps failing), and never stops the others: what a process
   * supervisor (compose's `restart:`) does for `npm run phase3`.
   */
  supervise(log: (line: string) => void): void {
    superviseProcesses(this.processes, log, () => this.stopped);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.ready.catch(() => undefined);
    await Promise.all([...this.processes.values()].map((p) => p.stop()));
  }

  logs(): string {
    return [...this.processes].map(([name, p]) => `--- ${name}\n${p.logs().slice(-3000)}`).join('\n');
  }
}
