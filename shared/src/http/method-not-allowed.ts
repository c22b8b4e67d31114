import type { FastifyInstance } from 'fastify';

/** A route pattern (`/v1/rooms/:roomId`, `/docs/*`) as a regular expression over a request path. */
function pathPattern(url: string): RegExp {
  const source = url
    .split(/(:\w+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * The methods served at a path, for a request no route matched: empty when the
 * path names no route at all (a 404), else the `Allow` list of a 405.
 * Read from the app's route table on first use, once every route is registered.
 */
export function allowedMethods(app: FastifyInstance): (path: string) => string[] {
  let routes: Array<{ pattern: RegExp; method: string }> | undefined;
  return (path) => {
    routes ??= app.routeTable.map((r) => ({ pattern: pathPattern(r.url), method: r.method }));
    return [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
  };
}
