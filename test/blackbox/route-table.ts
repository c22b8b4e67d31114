import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteEntry } from '@chat/shared/http/route-table';
import { loadConfig } from '@chat/shared/kernel/config';
import { buildMonolith } from '@chat/monolith/app';

/**
 * The route table the product serves, read from the code (the monolith composes
 * every module's routes; Phase 3 services register the same functions), so a
 * new route is covered by the auth tests without anyone listing it.
 */
export async function productRouteTable(): Promise<RouteEntry[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-routes-'));
  const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false' });
  const monolith = await buildMonolith(config);
  try {
    await monolith.app.ready();
    return [...monolith.app.routeTable];
  } finally {
    await monolith.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A route's path with each `:param` filled (an id-shaped value) and `*` made concrete. */
export function concretePath(url: string): string {
  return url.replace(/:[A-Za-z]+/g, '0190f7a4-5b1c-7cc2-8e1f-3a2b4c5d6e7f').replace(/\*/g, 'x');
}

const enc = (c: string, upper: boolean): string => {
  const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex}`;
};

/**
 * Spellings of `path` that a router, a proxy or a normaliser might take for the
 * same route: percent-encoded (one character, upper- and lower-case hex, a whole
 * segment), double-encoded, mixed-case, dot segments, doubled and trailing
 * slashes, encoded slashes, backslashes and `;` parameters.
 */
export function pathVariants(path: string): string[] {
  const segments = path.split('/').slice(1);
  const join = (segs: string[]) => `/${segs.join('/')}`;
  const out = new Set<string>();
  segments.forEach((seg, i) => {
    if (seg.length === 0) return;
    const at = (s: string) => join(segments.map((x, j) => (j === i ? s : x)));
    out.add(at(enc(seg[0]!, false) + seg.slice(1)));
    out.add(at(enc(seg[0]!, true) + seg.slice(1)));
    out.add(at(seg.slice(0, -1) + enc(seg.at(-1)!, true)));
    out.add(at(`%25${enc(seg[0]!, true).slice(1)}${seg.slice(1)}`));
    out.add(at([...seg].map((c) => enc(c, false)).join('')));
    out.add(at(seg.toUpperCase()));
    out.add(at(seg[0]!.toUpperCase() + seg.slice(1)));
    out.add(at(`${seg};x=1`));
  });
  const [first, ...rest] = segments;
  out.add(`${path}/`);
  out.add(`/${path}`);
  out.add(`${join([first!])}/${join(rest)}`);
  out.add(`/.${path}`);
  out.add(`${join([first!])}/.${join(rest)}`);
  out.add(`${join([first!])}/x/..${join(rest)}`);
  out.add(`${join([first!])}/%2e${join(rest)}`);
  out.add(`${join([first!])}/%2E%2E${path}`);
  out.add(`/x/..${path}`);
  out.add(`/x/%2e%2e${path}`);
  out.add(`${join([first!])}%2f${rest.join('/')}`);
  out.add(`${join([first!])}%2F${rest.join('/')}`);
  out.add(`/%2f${path.slice(1)}`);
  out.add(`${join([first!])}\\${rest.join('\\')}`);
  out.add(`${path}%00`);
  out.add(`${path}%20`);
  out.add(`${path}?x=%2f..`);
  out.delete(path);
  return [...out];
}
