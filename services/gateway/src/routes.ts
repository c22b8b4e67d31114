/** Which service answers a public path (Phase 3): /v1 and operations by owner, anything else is the web page. */
export type Upstream = 'api' | 'message' | 'search' | 'ws' | 'notification' | 'web';

const ROUTES: [RegExp, Upstream][] = [
  [/^\/v1\/ws(\?|$)/, 'ws'],
  [/^\/v1\/search(\?|\/|$)/, 'search'],
  [/^\/v1\/notifications(\?|\/|$)/, 'notification'],
  [/^\/v1\/rooms\/[^/?]+\/(messages|events|read)(\?|\/|$)/, 'message'],
];

export function upstreamOf(path: string): Upstream {
  for (const [re, upstream] of ROUTES) if (re.test(path)) return upstream;
  return path.startsWith('/v1/') || path === '/v1' || /^\/(readyz|metrics)(\?|$)/.test(path) ? 'api' : 'web';
}

/** Round-robin over an upstream's instances (ws has several). */
export class Balancer {
  private next = 0;
  constructor(readonly targets: URL[]) {
    if (targets.length === 0) throw new Error('no targets');
  }
  pick(): URL {
    const t = this.targets[this.next % this.targets.length]!;
    this.next++;
    return t;
  }
}
