import { request } from 'node:http';
import type { Test } from 'tap';
import type { RouteEntry } from '@chat/shared/http/route-table';
import type { Ctx } from './harness';
import { concretePath, pathVariants, productRouteTable } from './route-table';

/** Routes that need no access token. Anything else public under /v1 fails this suite until it is listed here on purpose. */
const PUBLIC_API = new Set([
  'POST /v1/auth/register',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
  // Authenticates itself: a header token before the upgrade, or an auth frame within 10 s.
  'GET /v1/ws',
  'HEAD /v1/ws',
  'GET /healthz',
  'HEAD /healthz',
  'GET /readyz',
  'HEAD /readyz',
  'GET /metrics',
  'HEAD /metrics',
  // The published contract (issue 14): the OpenAPI document, Swagger UI over it, the AsyncAPI document.
  'GET /openapi.json',
  'HEAD /openapi.json',
  'GET /asyncapi.json',
  'HEAD /asyncapi.json',
  'GET /docs',
  'HEAD /docs',
  'GET /docs/',
  'HEAD /docs/',
  'GET /docs/json',
  'HEAD /docs/json',
  'GET /docs/yaml',
  'HEAD /docs/yaml',
  'GET /docs/static/*',
  'HEAD /docs/static/*',
]);

interface Answer {
  status: number;
  body: string;
}

/** A raw request: the path goes on the wire exactly as written (fetch would normalise dot segments and backslashes). */
function send(base: string, method: string, path: string): Promise<Answer> {
  const url = new URL(base);
  const body = ['POST', 'PATCH', 'PUT'].includes(method) ? '{}' : undefined;
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(body);
  });
}

const isErrorBody = (text: string, code: string): boolean => {
  try {
    return JSON.parse(text)?.error?.code === code;
  } catch {
    return false;
  }
};

/**
 * Every private route, generated from the product's route table, answers 401
 * without a token, and every other spelling of its path (encoded,
 * double-encoded, mixed-case, dot segments, slashes) is a 401 or a 404: never
 * a handler running for nobody.
 */
export function routeAuthSuite(t: Test, ctx: Ctx): void {
  let routes: RouteEntry[] = [];
  t.before(async () => {
    routes = (await productRouteTable()).filter((r) => r.method !== 'HEAD' || !r.public);
  });

  t.test('the public routes are exactly the declared ones: the auth calls, the socket, operations and the page', async (t) => {
    const publicApi = routes.filter((r) => r.public && (r.url.startsWith('/v1') || !/\.[a-z0-9]+$|^\/$/i.test(r.url)));
    t.ok(routes.length > 20, `the route table is read from the code (${routes.length} routes)`);
    for (const r of publicApi) t.ok(PUBLIC_API.has(`${r.method} ${r.url}`), `${r.method} ${r.url} is public on purpose`);
    const privateV1 = routes.filter((r) => !r.public && r.url.startsWith('/v1/'));
    t.ok(privateV1.length >= 20, `every other /v1 route is private (${privateV1.length})`);
  });

  t.test('every private route answers 401 without a token, however its path is spelled', async (t) => {
    const base = await ctx.server.baseUrl;
    const privateRoutes = routes.filter((r) => !r.public);
    const bad: string[] = [];
    let tried = 0;
    for (const r of privateRoutes) {
      const path = concretePath(r.url);
      const exact = await send(base, r.method, path);
      tried++;
      if (exact.status !== 401 || (r.method !== 'HEAD' && !isErrorBody(exact.body, 'UNAUTHENTICATED'))) bad.push(`${r.method} ${path} → ${exact.status} ${exact.body.slice(0, 80)}`);
      const variants = pathVariants(path);
      for (let i = 0; i < variants.length; i += 16) {
        const answers = await Promise.all(variants.slice(i, i + 16).map((v) => send(base, r.method, v).then((a) => [v, a] as const)));
        for (const [v, a] of answers) {
          tried++;
          if (a.status !== 401 && a.status !== 404) bad.push(`${r.method} ${v} → ${a.status} ${a.body.slice(0, 80)}`);
        }
      }
    }
    t.ok(tried > 500, `${tried} requests over ${privateRoutes.length} private routes`);
    t.same(bad, [], 'no spelling of a private path is served without a token');
  });
}
