import type { FastifyInstance } from 'fastify';

const kDeadline = Symbol('deadline');

/**
 * No request waits on a dependency longer than `ms`: past it the client gets
 * 503 UNAVAILABLE with Retry-After, while the work goes on and finishes or
 * fails on its own. Safe for writes because they are idempotent: a send
 * retried with the same clientMsgId answers the message if it was stored.
 * (A frozen database, TCP open and answering nothing, would otherwise hold a
 * request until the client gives up.) WebSocket upgrades are not timed.
 */
export function registerRequestDeadline(app: FastifyInstance, ms: number): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.upgrade) return;
    const timer = setTimeout(() => {
      if (reply.sent) return;
      request.log.warn({ url: request.url, ms }, 'request deadline passed; answering 503');
      void reply
        .code(503)
        .header('retry-after', '1')
        .send({ error: { code: 'UNAVAILABLE', message: `no answer within ${ms} ms (a dependency is slow or away); retry` } });
    }, ms);
    timer.unref();
    (request as unknown as Record<symbol, NodeJS.Timeout>)[kDeadline] = timer;
  });
  app.addHook('onResponse', async (request) => {
    clearTimeout((request as unknown as Record<symbol, NodeJS.Timeout | undefined>)[kDeadline]);
  });
}
