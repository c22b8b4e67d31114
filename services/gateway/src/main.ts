import { loadHttpLimits, type HttpLimits } from '@chat/shared/kernel/config';
import { createGateway } from './gateway';
import type { Upstream } from './routes';

/** Env: PORT, and API_URL, MESSAGE_URL, SEARCH_URL, NOTIFICATION_URL, WEB_URL, WS_URLS (comma-separated). */
function urls(name: string, required = true): URL[] {
  const raw = process.env[name]?.trim();
  if (!raw) {
    if (!required) return [];
    console.error(`invalid configuration: ${name} is required`);
    process.exit(78);
  }
  try {
    return raw.split(',').map((s) => new URL(s.trim()));
  } catch {
    console.error(`invalid configuration: ${name} must be URL[,URL…], got "${raw}"`);
    process.exit(78);
  }
}

const api = urls('API_URL');
const upstreams: Record<Upstream, URL[]> = {
  api,
  message: urls('MESSAGE_URL'),
  search: urls('SEARCH_URL'),
  ws: urls('WS_URLS'),
  notification: urls('NOTIFICATION_URL', false).length ? urls('NOTIFICATION_URL') : api,
  web: urls('WEB_URL', false).length ? urls('WEB_URL') : api,
};
const port = Number(process.env.PORT ?? 3000);
const log = { warn: (obj: object, msg: string) => console.warn(JSON.stringify({ level: 40, msg, ...obj })) };
let limits: HttpLimits;
try {
  limits = loadHttpLimits();
} catch (err) {
  console.error((err as Error).message);
  process.exit(78);
}
const timeout = Number(process.env.GATEWAY_UPSTREAM_TIMEOUT_MS ?? 30_000);
if (!Number.isInteger(timeout) || timeout < 100) {
  console.error(`invalid configuration: GATEWAY_UPSTREAM_TIMEOUT_MS must be an integer ≥ 100, got "${process.env.GATEWAY_UPSTREAM_TIMEOUT_MS}"`);
  process.exit(78);
}
const server = createGateway({ upstreams, log, limits, upstreamTimeoutMs: timeout });
server.listen(port, process.env.HOST ?? '0.0.0.0');
const stop = () => {
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
