import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

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
