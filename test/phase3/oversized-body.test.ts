import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp } from '@chat/shared/http/service-app';
import { loadConfig } from '@chat/shared/kernel/config';
import { findHaproxy, haproxyProcess } from '@chat/shared/testing/haproxy';
import { freePort } from '@chat/shared/testing/server-process';

/**
 * A body over 1 MiB is a 413 PAYLOAD_TOO_LARGE that the client reads, also
 * while it is still uploading and also through the load balancer. HAProxy
 * 2.6 closes a connection it answered without reading the rest of the
 * request, and the kernel's reset then destroys the answer; so the service
 * reads what is left (bounded) before it answers, and HAProxy passes both.
 */
if (!findHaproxy()) {
  t.plan(0, 'haproxy is not installed: bash scripts/services.sh up haproxy');
} else {
  const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'body-')), JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' });
  const { app } = createServiceApp(config, 'api', () => ({}));
  app.post('/v1/auth/register', { config: { public: true } }, async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const servicePort = (app.server.address() as { port: number }).port;
  const server = (name: string) => [{ name, host: '127.0.0.1', port: servicePort }];
  const [pub, internal] = [await freePort(), await freePort()];
  const lb = haproxyProcess({
    public: { host: '127.0.0.1', port: pub },
    internal: { host: '127.0.0.1', port: internal },
    upstreams: { api: server('api'), message: server('message'), search: server('search'), notification: server('notification'), ws: server('ws'), web: server('web') },
    metricsAllowed: [],
    maxConnectionsPerAddress: 0,
    requestTimeoutMs: 30_000,
    upstreamTimeoutMs: 30_000,
  });
  t.teardown(() => lb.stop());
  await lb.start(15_000);

  for (const [where, port] of [['the service itself', servicePort], ['through HAProxy', pub]] as const) {
    t.test(`${where}: every oversized upload reads its 413`, async (t) => {
      const outcomes: Record<string, number> = {};
      for (let i = 0; i < 30; i++) {
        const size = [1024 * 1024 + 10, 2 * 1024 * 1024, 6 * 1024 * 1024][i % 3]!;
        const outcome = await fetch(`http://127.0.0.1:${port}/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'x'.repeat(size) }) }).then(
          async (r) => `${r.status} ${((await r.json()) as { error?: { code: string } }).error?.code}`,
          (err: Error & { cause?: { code?: string } }) => `failed: ${err.cause?.code ?? err.message}`,
        );
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      t.same(outcomes, { '413 PAYLOAD_TOO_LARGE': 30 }, 'bodies of 1 MiB + 10 B, 2 MiB and 6 MiB: each answered 413, none reset');
    });
  }
}
