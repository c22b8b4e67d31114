import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Configuration is read from the environment once, validated, and passed in.
 * A bad value throws ConfigError naming the variable; main() prints it and exits.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string;
  /** SQLITE_SYNCHRONOUS (embedded store): FULL (default), an ack survives a power loss; NORMAL, only a process crash (docs/adr/0015). */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  readonly redisUrl: string | undefined;
  readonly kafkaBrokers: string[] | undefined;
  /** Prefix of every topic and consumer group (several deployments on one broker). */
  readonly kafkaTopicPrefix: string;
  /** KAFKA_CLIENT: the bus's Kafka client, kafkajs (default) or platformatic (docs/adr/0013-kafka-client.md). */
  readonly kafkaClient: 'kafkajs' | 'platformatic';
  /**
   * KAFKA_SESSION_TIMEOUT_MS (6000-300000, default 10000): how long a consumer that stopped heartbeating
   * (a killed process) keeps its partitions; a ws instance's share of the live room events waits that long (docs/adr/0006).
   */
  readonly kafkaSessionTimeoutMs: number;
  readonly elasticsearchUrl: string | undefined;
  readonly logLevel: string;
  /** scrypt cost as log2(N): 17 (OWASP) unless lowered for load tests. */
  readonly passwordHashLogN: number;
  /** Password-hashing capacity, failed logins per username, refresh-token reuse grace (docs/security.md). */
  readonly auth: AuthLimits;
  readonly jwt: { secret: string; issuer: string; audience: string; accessTtlSeconds: number; refreshTtlSeconds: number };
  readonly rateLimit: {
    enabled: boolean;
    messagesPerSecond: number;
    messagesBurst: number;
    authPerSecond: number;
    authBurst: number;
    /** Rooms one user may create (POST /v1/rooms, repeats of a direct pair included). */
    roomsPerSecond: number;
    roomsBurst: number;
    /** Member additions one user may make (POST /v1/rooms/:roomId/members). */
    membersPerSecond: number;
    membersBurst: number;
  };
  /** The room writer's in-memory state: at most this many idle rooms are kept; evicted rooms reload from the store. */
  readonly writer: { roomCacheSize: number };
  readonly ws: {
    allowedOrigins: string[];
    pingIntervalMs: number;
    authTimeoutMs: number;
    maxBufferedBytes: number;
    /** Authenticated sockets one user may hold on one instance (enforced while rate limits are on). */
    maxSocketsPerUser: number;
    /** Phase 3 fan-out: how long the Redis room-channel subscriber waits before reconnecting (0: at once). For tests that must lose a message. */
    fanoutReconnectDelayMs: number;
    /** What replays (subscribe with sinceSeq) may cost; they are paced, never refused. */
    replay: { pageBytes: number; socketBytesPerSecond: number; userBytesPerSecond: number; userMsPerSecond: number; userReadsInFlight: number };
  };
  readonly shutdownTimeoutMs: number;
  /** Limits of the HTTP server itself (docs/security.md). */
  readonly http: HttpLimits;
}

export interface HttpLimits {
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDRs); none by default. */
  readonly trustProxy: string[];
  /** Time to receive a whole request, headers and body. */
  readonly requestTimeoutMs: number;
  /** Longest a request may wait for its answer (a dependency slow or frozen); then 503 with Retry-After. */
  readonly handlerTimeoutMs: number;
  /** Open TCP connections per client address (0: no cap); trusted proxies are not capped. */
  readonly maxConnectionsPerAddress: number;
  /** Addresses (or CIDRs) allowed to read /metrics. */
  readonly metricsAllowedAddresses: string[];
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  return raw;
}

function sqliteSynchronous(env: Env): 'FULL' | 'NORMAL' {
  const raw = (env.SQLITE_SYNCHRONOUS?.trim() || 'FULL').toUpperCase();
  if (raw !== 'FULL' && raw !== 'NORMAL') throw new ConfigError('SQLITE_SYNCHRONOUS', `must be FULL or NORMAL, got "${env.SQLITE_SYNCHRONOUS}"`);
  return raw;
}

function databaseUrl(env: Env, dataDir: string): string {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) return `sqlite:${join(dataDir, 'chat.db')}`;
  if (raw.startsWith('sqlite:')) {
    if (raw.length === 'sqlite:'.length) throw new ConfigError('DATABASE_URL', 'names no SQLite file (use sqlite:<path> or sqlite::memory:)');
    return raw;
  }
  return url(env, 'DATABASE_URL', ['mysql:'])!;
}

/** Without JWT_SECRET the embedded default keeps a generated one in its data dir, so restarts keep sessions. */
function jwtSecret(env: Env, dataDir: string): string {
  const raw = env.JWT_SECRET;
  if (raw !== undefined && raw !== '') {
    if (raw.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
    return raw;
  }
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

function kafkaTopicPrefix(env: Env): string {
  const raw = env.KAFKA_TOPIC_PREFIX?.trim() ?? '';
  if (!/^[A-Za-z0-9._-]{0,100}$/.test(raw)) throw new ConfigError('KAFKA_TOPIC_PREFIX', 'may hold only letters, digits, ".", "_" and "-"');
  return raw;
}

function kafkaClient(env: Env): 'kafkajs' | 'platformatic' {
  const raw = env.KAFKA_CLIENT?.trim().toLowerCase() || 'kafkajs';
  if (raw !== 'kafkajs' && raw !== 'platformatic') throw new ConfigError('KAFKA_CLIENT', `must be kafkajs or platformatic, got "${env.KAFKA_CLIENT}"`);
  return raw;
}

/** Loopback and private networks: where Prometheus scrapes from. */
const PRIVATE_NETWORKS = ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

/** A comma-separated list of IP addresses or CIDRs; `none` is the empty list. */
function addresses(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (raw.toLowerCase() === 'none') return [];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of list) {
    const [ip, bits, extra] = entry.split('/');
    const family = isIP(ip ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError(name, `has a bad address or CIDR "${entry}"`);
    }
  }
  return list;
}

/** The HTTP server's limits, on their own for what reads nothing else (the gateway). */
export function loadHttpLimits(env: Env = process.env): HttpLimits {
  return {
    trustProxy: addresses(env, 'TRUST_PROXY', []),
    requestTimeoutMs: int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000, 3_600_000),
    handlerTimeoutMs: int(env, 'HTTP_HANDLER_TIMEOUT_MS', 8000, 100, 3_600_000),
    // A per-client limit like the token buckets: off by default with them (load tests open thousands of sockets from one address).
    maxConnectionsPerAddress: int(env, 'HTTP_MAX_CONNECTIONS_PER_ADDRESS', bool(env, 'RATE_LIMIT_ENABLED', true) ? 256 : 0, 0, 1_000_000),
    metricsAllowedAddresses: addresses(env, 'METRICS_ALLOWED_ADDRESSES', PRIVATE_NETWORKS),
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const dataDir = resolve(env.DATA_DIR?.trim() || 'data');
  const port = int(env, 'PORT', 3000, 0, 65535);
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const brokers = env.KAFKA_BROKERS?.trim();
  if (brokers && !brokers.split(',').every((b) => /^[\w.-]+:\d+$/.test(b.trim()))) {
    throw new ConfigError('KAFKA_BROKERS', `must be host:port[,host:port…], got "${brokers}"`);
  }
  const origins = (env.WS_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const o of origins) if (o !== '*' && !/^https?:\/\/[^/]+$/.test(o)) throw new ConfigError('WS_ALLOWED_ORIGINS', `has a bad origin "${o}"`);
  return {
    port,
    host: env.HOST?.trim() || '0.0.0.0',
    dataDir,
    databaseUrl: databaseUrl(env, dataDir),
    sqliteSynchronous: sqliteSynchronous(env),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    kafkaBrokers: brokers ? brokers.split(',').map((b) => b.trim()) : undefined,
    kafkaTopicPrefix: kafkaTopicPrefix(env),
    kafkaClient: kafkaClient(env),
    kafkaSessionTimeoutMs: int(env, 'KAFKA_SESSION_TIMEOUT_MS', 10_000, 6_000, 300_000),
    elasticsearchUrl: url(env, 'ELASTICSEARCH_URL', ['http:', 'https:']),
    logLevel,
    passwordHashLogN: int(env, 'PASSWORD_HASH_LOG_N', 17, 10, 20),
    auth: loadAuthLimits(env),
    jwt: {
      secret: jwtSecret(env, dataDir),
      issuer: env.JWT_ISSUER?.trim() || 'sturdy-chat',
      audience: env.JWT_AUDIENCE?.trim() || 'sturdy-chat-api',
      accessTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 1, 86_400),
      refreshTtlSeconds: int(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400, 1, 365 * 86_400),
    },
    rateLimit: {
      enabled: bool(env, 'RATE_LIMIT_ENABLED', true),
      messagesPerSecond: int(env, 'RATE_LIMIT_MESSAGES_PER_SECOND', 20, 1, 1_000_000),
      messagesBurst: int(env, 'RATE_LIMIT_MESSAGES_BURST', 100, 1, 1_000_000),
      authPerSecond: int(env, 'RATE_LIMIT_AUTH_PER_SECOND', 20, 1, 1_000_000),
      authBurst: int(env, 'RATE_LIMIT_AUTH_BURST', 200, 1, 1_000_000),
      roomsPerSecond: int(env, 'RATE_LIMIT_ROOMS_PER_SECOND', 1, 1, 1_000_000),
      roomsBurst: int(env, 'RATE_LIMIT_ROOMS_BURST', 30, 1, 1_000_000),
      membersPerSecond: int(env, 'RATE_LIMIT_MEMBERS_PER_SECOND', 10, 1, 1_000_000),
      membersBurst: int(env, 'RATE_LIMIT_MEMBERS_BURST', 200, 1, 1_000_000),
    },
    writer: {
      roomCacheSize: int(env, 'WRITER_ROOM_CACHE_SIZE', 10_000, 0, 10_000_000),
    },
    ws: {
      allowedOrigins: origins,
      pingIntervalMs: int(env, 'WS_PING_INTERVAL_MS', 30_000, 100, 3_600_000),
      authTimeoutMs: int(env, 'WS_AUTH_TIMEOUT_MS', 10_000, 100, 600_000),
      maxBufferedBytes: int(env, 'WS_MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxSocketsPerUser: int(env, 'WS_MAX_SOCKETS_PER_USER', 50, 1, 1_000_000),
      fanoutReconnectDelayMs: int(env, 'WS_FANOUT_RECONNECT_DELAY_MS', 0, 0, 60_000),
      replay: {
        pageBytes: int(env, 'WS_REPLAY_PAGE_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
        socketBytesPerSecond: int(env, 'WS_REPLAY_SOCKET_BYTES_PER_SECOND', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
        userBytesPerSecond: int(env, 'WS_REPLAY_USER_BYTES_PER_SECOND', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
        userMsPerSecond: int(env, 'WS_REPLAY_USER_MS_PER_SECOND', 250, 10, 60_000),
        userReadsInFlight: int(env, 'WS_REPLAY_USER_READS', 2, 1, 1000),
      },
    },
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    http: loadHttpLimits(env),
  };
}

// ---- auth: password-hashing capacity, failed logins, refresh-token reuse grace ----

export interface AuthLimits {
  /** Password hashes running at once (login, register, the dummy check for unknown users). */
  readonly hashConcurrency: number;
  /** Password hashes waiting for a slot, server-wide; past it a login or register is 503 with Retry-After. */
  readonly hashQueue: number;
  /** Password hashes one address may have running or waiting (0: no per-address share). */
  readonly hashPerAddress: number;
  /** Failed logins per username within the window before its logins are 429 without hashing (0: off). */
  readonly loginFailuresPerUsername: number;
  readonly loginFailureWindowSeconds: number;
  /** A used refresh token presented again within this many seconds gets a fresh pair of its login (0: off, the contract's rule). */
  readonly refreshReuseGraceSeconds: number;
  /** How many such pairs one used refresh token may get. */
  readonly refreshReuseGraceReissues: number;
}

/**
 * scrypt runs on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default), which
 * also runs WebCrypto (every access-token check) and file work: by default
 * hash on one slot per CPU, but leave at least one pool thread free.
 */
function defaultHashConcurrency(env: Env): number {
  const pool = Number(env.UV_THREADPOOL_SIZE) > 0 ? Math.floor(Number(env.UV_THREADPOOL_SIZE)) : 4;
  return Math.max(1, Math.min(availableParallelism(), pool - 1));
}

export function loadAuthLimits(env: Env = process.env): AuthLimits {
  const concurrency = int(env, 'PASSWORD_HASH_CONCURRENCY', 0, 0, 1024);
  return {
    hashConcurrency: concurrency === 0 ? defaultHashConcurrency(env) : concurrency,
    hashQueue: int(env, 'PASSWORD_HASH_QUEUE', 64, 0, 100_000),
    // A per-client limit like the token buckets: off with them (load tests, a test client registering many users at once).
    hashPerAddress: bool(env, 'RATE_LIMIT_ENABLED', true) ? int(env, 'PASSWORD_HASH_PER_ADDRESS', 16, 0, 100_000) : 0,
    loginFailuresPerUsername: int(env, 'LOGIN_FAILURES_PER_USERNAME', 10, 0, 1_000_000),
    loginFailureWindowSeconds: int(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 300, 1, 7 * 86_400),
    refreshReuseGraceSeconds: int(env, 'REFRESH_REUSE_GRACE_SECONDS', 0, 0, 60),
    refreshReuseGraceReissues: int(env, 'REFRESH_REUSE_GRACE_REISSUES', 1, 1, 10),
  };
}
