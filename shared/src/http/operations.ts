import type { FastifyInstance } from 'fastify';
import { healthz, readyz } from '../contract/http/operations';
import { serveContractRoute } from './contract-route';

/** /healthz: the process runs. /readyz: every dependency answers. */
export function registerOperations(app: FastifyInstance, getChecks: () => Record<string, () => Promise<void>>): void {
  serveContractRoute(app, healthz, async () => ({ status: 'ok' as const }));
  serveContractRoute(app, readyz, async (_request, reply) => {
    const checks = getChecks();
    const failing: string[] = [];
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref());
        await Promise.race([check(), timeout]).catch(() => failing.push(name));
      }),
    );
    if (failing.length > 0) return reply.status(503).send({ status: 'unavailable', failing });
    return reply.status(200).send({ status: 'ok', checks: Object.keys(checks) });
  });
}
