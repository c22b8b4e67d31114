import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { findHaproxy } from '@chat/shared/testing/haproxy';

/** The compose files cannot run here (no Docker engine); Debian's docker-compose still parses and validates them. */
function ensureComposeParser(): boolean {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return true;
  spawnSync('bash', ['-c', 'apt-get install -y -qq docker-compose || (apt-get update -qq && apt-get install -y -qq docker-compose)'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}

const files = ['docker-compose.phase1.yml', 'docker-compose.phase3.yml'].filter((f) => existsSync(f));
const env = { ...process.env, JWT_SECRET: 'x'.repeat(40) };

t.ok(ensureComposeParser(), 'docker-compose (Debian package) is available to validate the files');

for (const file of files) {
  t.test(file, async (t) => {
    const out = execFileSync('docker-compose', ['-f', file, 'config'], { env, encoding: 'utf8' });
    t.pass('valid per docker-compose config');
    const text = readFileSync(file, 'utf8');
    for (const svc of ['mysql', 'redis', 'prometheus', 'grafana']) t.match(out, new RegExp(`\\n  ${svc}:`), `has ${svc}`);
    t.match(text, /image: mysql:8\.4/, 'MySQL 8.4');
    t.match(text, /image: redis:7/, 'Redis 7');
    for (const dep of ['mysql', 'redis']) t.match(out, new RegExp(`${dep}:\\n\\s+condition: service_healthy`), `waits for a healthy ${dep}`);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']) t.match(text, name, `uses ${name}`);
  });
}

t.test('phase 3 compose: every service, replicas behind HAProxy, the tested Kafka, Elasticsearch and HAProxy versions', async (t) => {
  const text = readFileSync('docker-compose.phase3.yml', 'utf8');
  const versions = Object.fromEntries(readFileSync('infra/versions.env', 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=') as [string, string]));
  for (const svc of ['lb', 'api', 'message', 'search', 'notification', 'ws', 'web', 'kafka', 'elasticsearch']) t.match(text, new RegExp(`\\n  ${svc}:`), `has ${svc}`);
  for (const gone of ['gateway', 'ws-1', 'ws-2']) t.notMatch(text, new RegExp(`\\n  ${gone}:`), `no ${gone} any more`);
  t.match(text, `apache/kafka:${versions.KAFKA_VERSION}`, `Kafka ${versions.KAFKA_VERSION} as in infra/versions.env`);
  t.match(text, `elasticsearch:${versions.ELASTICSEARCH_VERSION}`, `Elasticsearch ${versions.ELASTICSEARCH_VERSION} as in infra/versions.env`);
  t.match(text, `image: haproxy:${versions.HAPROXY_VERSION}\n`, `HAProxy ${versions.HAPROXY_VERSION} as in infra/versions.env`);
  const phase1 = readFileSync('docker-compose.phase1.yml', 'utf8');
  const names = (s: string) => new Set([...s.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]));
  for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']) t.ok(names(phase1).has(name) && names(text).has(name), `${name} is named the same in both phases`);

  // What docker-compose resolved: each service's block of `config` output.
  const out = execFileSync('docker-compose', ['-f', 'docker-compose.phase3.yml', 'config'], { env, encoding: 'utf8' });
  const block = (svc: string) => out.match(new RegExp(`\\n  ${svc}:\\n((?:    .*\\n|      .*\\n)*)`))?.[1] ?? '';
  for (const [svc, n] of [['ws', 3], ['message', 2], ['search', 2], ['notification', 2]] as const) t.match(block(svc), new RegExp(`deploy:\\n\\s+replicas: ${n}\\n`), `${svc}: ${n} replicas`);
  const lb = block('lb');
  t.match(lb, /image: haproxy:/, 'lb is the official HAProxy image');
  t.match(lb, /infra\/haproxy:\/usr\/local\/etc\/haproxy:ro/, 'lb reads the generated configuration, read-only');
  t.match(lb, /published: "?3000"?|- 3000:3000/, 'lb publishes port 3000');
  t.match(lb, /healthcheck:/, 'lb has a healthcheck');
  t.notMatch(out, /services\/gateway/, 'the Node gateway is not started');
  for (const svc of ['api', 'search', 'notification', 'ws']) t.match(block(svc), /MESSAGE_URL: http:\/\/lb:3001/, `${svc} calls the message service through the load balancer's internal listener`);
});

const haproxy = findHaproxy();
t.test('infra/haproxy/haproxy.cfg is accepted by haproxy -c (offline: no name resolves here)', { skip: haproxy ? false : 'haproxy is not installed: bash scripts/services.sh up haproxy' }, async (t) => {
  const res = spawnSync(haproxy!, ['-c', '-f', 'infra/haproxy/haproxy.cfg'], { encoding: 'utf8' });
  t.equal(res.status, 0, `haproxy -c: ${res.stdout}${res.stderr}`);
  t.notMatch(res.stdout + res.stderr, /WARNING|ALERT/, 'no warnings');
});
