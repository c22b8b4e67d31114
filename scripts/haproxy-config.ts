import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadHttpLimits } from '../shared/src/kernel/config';
import { haproxyConfig, haproxyErrorFiles } from '../shared/src/testing/haproxy-config';

/**
 * The load balancer of docker-compose.phase3.yml (service `lb`, image haproxy:2.6):
 * infra/haproxy/haproxy.cfg and its error files are this output, and a test
 * (test/infra/haproxy-config.test.ts) fails when they differ.
 *
 *   npx tsx scripts/haproxy-config.ts            print haproxy.cfg
 *   npx tsx scripts/haproxy-config.ts --write    write infra/haproxy/{haproxy.cfg,errors/}
 */
export function composeHaproxyConfig(): string {
  // The services' own defaults (rate limits on): the same limits the Node gateway applied.
  const limits = loadHttpLimits({});
  // Slots per service: at least its `deploy.replicas`; spare ones stay empty (down) until a scale-up fills them.
  const slots = (service: string, count: number) => ({ service, count, port: 3000 });
  return haproxyConfig({
    public: { host: '0.0.0.0', port: 3000 },
    // Reached by the other containers over the compose network (MESSAGE_URL=http://lb:3001), never published.
    internal: { host: '0.0.0.0', port: 3001 },
    stats: { host: '0.0.0.0', port: 8405 },
    upstreams: {
      api: slots('api', 2),
      message: slots('message', 4),
      search: slots('search', 4),
      notification: slots('notification', 4),
      ws: slots('ws', 6),
      web: slots('web', 2),
    },
    metricsAllowed: limits.metricsAllowedAddresses,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
    requestTimeoutMs: limits.requestTimeoutMs,
    upstreamTimeoutMs: 30_000,
    // Needs 2 file descriptors each: the lb service raises its nofile limit to match.
    maxConnections: 20_000,
    // Beside haproxy.cfg (default-path config): /usr/local/etc/haproxy/errors in the image, infra/haproxy/errors here.
    errorsDir: 'errors',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv.includes('--write')) {
    const dir = resolve(import.meta.dirname, '../infra/haproxy');
    mkdirSync(join(dir, 'errors'), { recursive: true });
    writeFileSync(join(dir, 'haproxy.cfg'), composeHaproxyConfig());
    for (const [name, text] of Object.entries(haproxyErrorFiles())) writeFileSync(join(dir, 'errors', name), text);
    console.error(`wrote ${dir}/haproxy.cfg and errors/`);
  } else {
    process.stdout.write(composeHaproxyConfig());
  }
}
