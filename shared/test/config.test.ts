import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/kernel/config';

const dataDir = mkdtempSync(join(tmpdir(), 'cfg-'));

t.test('defaults: port 3000, embedded SQLite in the data dir, a generated JWT secret kept across starts', async (t) => {
  const a = loadConfig({ DATA_DIR: dataDir });
  t.equal(a.port, 3000);
  t.equal(a.databaseUrl, `sqlite:${join(dataDir, 'chat.db')}`);
  t.equal(a.redisUrl, undefined);
  t.equal(a.rateLimit.enabled, true);
  t.equal(a.sqliteSynchronous, 'FULL', 'an ack survives a power loss unless told otherwise');
  t.equal(loadConfig({ DATA_DIR: dataDir, SQLITE_SYNCHRONOUS: 'normal' }).sqliteSynchronous, 'NORMAL');
  t.equal(loadConfig({ DATA_DIR: dataDir }).jwt.secret, a.jwt.secret);
  t.equal(a.kafkaSessionTimeoutMs, 10_000, 'a killed consumer holds its partitions 10 s');
  t.equal(loadConfig({ DATA_DIR: dataDir, KAFKA_SESSION_TIMEOUT_MS: '45000' }).kafkaSessionTimeoutMs, 45_000);
});

t.test('a bad value names its variable', async (t) => {
  const bad: Record<string, string> = {
    PORT: 'eighty',
    DATABASE_URL: 'postgres://x/y',
    REDIS_URL: 'http://x',
    JWT_SECRET: 'short',
    RATE_LIMIT_ENABLED: 'maybe',
    ACCESS_TOKEN_TTL_SECONDS: '0',
    KAFKA_BROKERS: 'no port',
    WS_ALLOWED_ORIGINS: 'not-an-origin',
    LOG_LEVEL: 'loud',
    SQLITE_SYNCHRONOUS: 'OFF',
    TRUST_PROXY: '10.0.0.0/33',
    METRICS_ALLOWED_ADDRESSES: 'localhost',
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: '-1',
    KAFKA_SESSION_TIMEOUT_MS: '3000',
  };
  for (const [name, value] of Object.entries(bad)) {
    let caught: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir, [name]: value });
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ConfigError, `${name} is refused`);
    t.equal((caught as ConfigError).variable, name);
    t.match((caught as Error).message, name);
  }
});

t.test('the connection cap per address is on with the rate limits, off with them unless set', async (t) => {
  t.equal(loadConfig({ DATA_DIR: dataDir }).http.maxConnectionsPerAddress, 256);
  t.equal(loadConfig({ DATA_DIR: dataDir, RATE_LIMIT_ENABLED: 'false' }).http.maxConnectionsPerAddress, 0);
  t.equal(loadConfig({ DATA_DIR: dataDir, RATE_LIMIT_ENABLED: 'false', HTTP_MAX_CONNECTIONS_PER_ADDRESS: '20' }).http.maxConnectionsPerAddress, 20);
});
