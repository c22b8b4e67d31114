import type { FastifyInstance } from 'fastify';

/** /healthz: the process runs. /readyz: every dependency answers. */
export function registerOperations(app: FastifyInstance, getChecks: () => Record<string, () => Promise<void>>): void {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const checks = getChecks();
    const failing: string[] = [];
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref());
        await Promise.race([check(), timeout]).catch(() => failing.push(name));
      }),
    );
    if (failing.length > 0) return reply.status(503).send({ status: 'unavailable', failing });
    return { status: 'ok', checks: Object.keys(checks) };
  });
}
