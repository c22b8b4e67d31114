import type { Test } from 'tap';
import type { Ctx } from './harness';

/** /healthz, /readyz, /metrics. */
export function operationsSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('GET /healthz answers 200 without auth', async (t) => {
    t.equal((await a.req('GET', '/healthz')).status, 200);
  });

  t.test('GET /readyz answers 200 JSON when every dependency answers', async (t) => {
    const res = await a.req('GET', '/readyz');
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type') ?? '', /application\/json/);
    t.type(res.body, 'object', 'a JSON body');
  });

  t.test('GET /metrics is Prometheus text with process, Node.js heap and own metrics', async (t) => {
    await a.register(); // make sure some request traffic happened
    const res = await a.req('GET', '/metrics');
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type') ?? '', /text\/plain/);
    for (const name of ['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'process_resident_memory_bytes']) {
      t.match(res.text, new RegExp(`^${name}(\\{[^}]*\\})? `, 'm'), `has ${name}`);
    }
    t.match(res.text, /^# TYPE \S+ (counter|gauge|histogram|summary)$/m, 'TYPE lines');
    const own = res.text.split('\n').filter((l) => l.startsWith('# TYPE') && !/ (process|nodejs)_/.test(l));
    t.ok(own.length > 0, `the service's own metrics (${own.slice(0, 3).join('; ')})`);
  });
}
