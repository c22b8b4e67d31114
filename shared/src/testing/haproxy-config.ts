import { isIP } from 'node:net';

/** The services HAProxy balances over. */
export type HaproxyUpstream = 'api' | 'message' | 'search' | 'notification' | 'ws' | 'web';
export const HAPROXY_UPSTREAMS: readonly HaproxyUpstream[] = ['api', 'message', 'search', 'notification', 'ws', 'web'];

export interface HaproxyBind {
  readonly host: string;
  readonly port: number;
}

/** One instance at a fixed address (local clusters, tests). */
export interface HaproxyServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** Up to `count` instances of a compose service, found through Docker's DNS (`deploy.replicas`). */
export interface HaproxyServerTemplate {
  readonly service: string;
  readonly count: number;
  readonly port: number;
}

export interface HaproxyConfigOptions {
  /** The public entry point (the contract's port). */
  readonly public: HaproxyBind;
  /** Where our own services call the message service (MESSAGE_URL): never published, loopback locally. */
  readonly internal: HaproxyBind;
  readonly upstreams: Readonly<Record<HaproxyUpstream, readonly HaproxyServer[] | HaproxyServerTemplate>>;
  /** Addresses or CIDRs that may read /metrics (METRICS_ALLOWED_ADDRESSES); empty: nobody. */
  readonly metricsAllowed: readonly string[];
  /** Open connections per client address (HTTP_MAX_CONNECTIONS_PER_ADDRESS); 0 is no cap. */
  readonly maxConnectionsPerAddress: number;
  /**
   * HTTP_REQUEST_TIMEOUT_MS: time to receive the request headers, and again for the body (until it is
   * whole or fills a buffer, 16 KiB); slower is a 408. A longer body then streams under the idle timeout.
   */
  readonly requestTimeoutMs: number;
  /** Longest an upstream may take to answer (or stay silent mid-answer); then 503. */
  readonly upstreamTimeoutMs: number;
  /** Directory holding the JSON error files (infra/haproxy/errors); a relative one is taken from the config file's directory. */
  readonly errorsDir: string;
  /** Operators' listener: Prometheus metrics at /metrics and the stats page at /stats. */
  readonly stats?: HaproxyBind;
  /** Connections HAProxy holds at once, over every client; default: what the file descriptor limit allows (about ulimit -n ÷ 2). */
  readonly maxConnections?: number;
  /** A graceful stop (SIGUSR1) waits this long at most for open connections (default 5000). */
  readonly hardStopAfterMs?: number;
  /** Log every request (httplog) rather than only failed ones and server state changes (default false). */
  readonly logRequests?: boolean;
  /** Docker's embedded DNS, for server templates (default 127.0.0.11:53). */
  readonly dockerDns?: string;
}

/** The contract's body limit (API.md: a body over 1 MiB is a 413). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** RFC 3986 §2.3 unreserved characters as hex escapes: decoded before routing (RFC 3986 §6.2.2.2). */
const UNRESERVED_ESCAPE = '4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const HOST = /^([A-Za-z0-9][A-Za-z0-9_.-]*|[0-9A-Fa-f:.]+|\*)$/;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`haproxyConfig: ${what}`);
}

const isPort = (p: number) => Number.isInteger(p) && p > 0 && p < 65536;

function addr(b: HaproxyBind, what: string): string {
  check(HOST.test(b.host) && isPort(b.port), `${what}: bad host or port ${b.host}:${b.port}`);
  return isIP(b.host) === 6 ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}

function cidr(entry: string): string {
  const [ip, bits, extra] = entry.split('/');
  const family = isIP(ip ?? '');
  check(family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32))), `bad metrics address "${entry}"`);
  return entry;
}

const isTemplate = (u: readonly HaproxyServer[] | HaproxyServerTemplate): u is HaproxyServerTemplate => !Array.isArray(u);

/** A backend's `server` lines: fixed addresses, or a template filled from Docker's DNS. */
function servers(name: HaproxyUpstream, u: readonly HaproxyServer[] | HaproxyServerTemplate): string[] {
  if (isTemplate(u)) {
    check(NAME.test(u.service) && Number.isInteger(u.count) && u.count >= 1 && u.count <= 64 && isPort(u.port), `${name}: bad server template`);
    return [`  server-template ${u.service}- ${u.count} ${u.service}:${u.port} resolvers docker init-addr none`];
  }
  check(u.length > 0, `${name}: no servers`);
  return u.map((s) => {
    check(NAME.test(s.name), `${name}: bad server name "${s.name}"`);
    return `  server ${s.name} ${addr(s, `${name}/${s.name}`)}`;
  });
}

const json = (code: string, message: string) => `'${JSON.stringify({ error: { code, message } })}'`;

/**
 * HAProxy's configuration for the Phase 3 entry point: what the Node gateway
 * it replaced did (ADR 0014), plus room affinity for the message service. One function for local
 * clusters (explicit servers) and compose (server templates), so the two
 * cannot drift. Pure: the same options give the same text.
 */
export function haproxyConfig(o: HaproxyConfigOptions): string {
  const maxconn = o.maxConnections;
  check(maxconn === undefined || (Number.isInteger(maxconn) && maxconn > 0), 'bad maxConnections');
  check(Number.isInteger(o.maxConnectionsPerAddress) && o.maxConnectionsPerAddress >= 0, 'bad maxConnectionsPerAddress');
  check(Number.isInteger(o.requestTimeoutMs) && o.requestTimeoutMs >= 100, 'bad requestTimeoutMs');
  check(Number.isInteger(o.upstreamTimeoutMs) && o.upstreamTimeoutMs >= 100, 'bad upstreamTimeoutMs');
  check(/^[^\s'"#]+$/.test(o.errorsDir), `bad errorsDir "${o.errorsDir}"`);
  const hardStop = o.hardStopAfterMs ?? 5000;
  check(Number.isInteger(hardStop) && hardStop >= 0, 'bad hardStopAfterMs');
  check(o.dockerDns === undefined || /^[A-Za-z0-9.:[\]-]+:\d+$/.test(o.dockerDns), `bad dockerDns "${o.dockerDns}"`);
  const connectMs = Math.min(2000, o.upstreamTimeoutMs);
  const templates = HAPROXY_UPSTREAMS.some((u) => isTemplate(o.upstreams[u]));
  const allowed = o.metricsAllowed.map(cidr);
  const err = (code: number, file = code) => `  errorfile ${code} ${o.errorsDir}/${file}.http`;

  const global = [
    'global',
    '  # In the foreground under a supervisor (docker, tests): logs to stdout, not syslog.',
    ...(o.logRequests
      ? ['  log stdout format raw local0 info']
      : ['  # Up to notice: failed requests (log-separate-errors raises them to err) and servers going up or down.', '  log stdout format raw local0 notice']),
    ...(maxconn
      ? ['  # Bounds memory and file descriptors (each connection needs two); frontends inherit it.', `  maxconn ${maxconn}`]
      : ['  # No maxconn: HAProxy takes what the file descriptor limit allows (about half of ulimit -n); frontends inherit it.']),
    '  # A graceful stop (SIGUSR1) lets requests in flight finish, but an open WebSocket never holds it longer than this.',
    `  hard-stop-after ${hardStop}ms`,
    '  # Relative paths (the error files) are read beside this file, wherever it is mounted or checked.',
    '  default-path config',
  ];

  const defaults = [
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option dontlognull',
    '  option log-separate-errors',
    '  # Keep-alive on both sides; an idle server connection is shared between clients only when that is safe.',
    '  option http-keep-alive',
    '  http-reuse safe',
    "  # X-Forwarded-For is the peer that connected to us; the client's own copy is deleted first (frontend).",
    '  option forwardfor',
    `  timeout connect ${connectMs}ms`,
    '  # Idle clients: longer than their own keep-alive, so a client never reuses a connection we are closing.',
    '  timeout client 65s',
    '  timeout http-keep-alive 65s',
    '  # Request headers that trickle in past this are a 408 (the body: wait-for-body in the frontend).',
    `  timeout http-request ${o.requestTimeoutMs}ms`,
    '  # An upstream silent past this is a 504, sent as the contract\'s 503.',
    `  timeout server ${o.upstreamTimeoutMs}ms`,
    `  timeout queue ${o.upstreamTimeoutMs}ms`,
    '  # A half-closed WebSocket still delivers its close frame, but does not linger.',
    '  timeout client-fin 30s',
    '  timeout server-fin 30s',
    '  timeout check 1s',
    '  # Retry a connection that failed, on another server (redispatch each time), and nothing else:',
    '  # a request that reached a server may have been applied (POST /v1/rooms is not idempotent).',
    '  retries 3',
    '  retry-on conn-failure',
    '  option redispatch 1',
    '  # Every instance is health checked each second; down after 2 failures, up after 2 successes,',
    "  # so a killed instance's rooms move within about two seconds.",
    '  option httpchk GET /healthz',
    '  http-check expect status 200',
    '  default-server check inter 1s fall 2 rise 2',
    '  # Errors HAProxy itself produces, as the contract\'s JSON. 502 and 504 are sent as 503 UNAVAILABLE with',
    '  # Retry-After, as the Node gateway did (an errorfile may carry another status than the one it replaces).',
    '  # HAProxy 2.6 does not use them for what its HTTP/1 parser refuses before a request exists (headers',
    '  # incomplete in time, malformed): those get its built-in HTML 408/400.',
    ...[400, 403, 404, 408, 413, 429, 500].map((c) => err(c)),
    err(502, 503),
    err(503, 503),
    err(504, 503),
  ];

  const path = 'var(txn.path)';
  const publicFrontend = [
    'frontend public',
    `  bind ${addr(o.public, 'public')}`,
    ...(o.maxConnectionsPerAddress > 0
      ? [
          '  # Per-address connection cap (HTTP_MAX_CONNECTIONS_PER_ADDRESS): each source\'s open connections are',
          '  # counted, and one past the cap is closed before it is read, so one address cannot hold every slot.',
          '  stick-table type ipv6 size 100k expire 60s store conn_cur',
          '  tcp-request connection track-sc0 src',
          `  tcp-request connection reject if { sc0_conn_cur gt ${o.maxConnectionsPerAddress} }`,
        ]
      : ['  # No per-address connection cap (HTTP_MAX_CONNECTIONS_PER_ADDRESS=0).']),
    '',
    '  # The path the services will route by: escapes of unreserved characters',
    '  # decoded, once, everything else as sent. normalize-uri would do it but is experimental in 2.6 (needs',
    "  # expose-experimental-directives) and resolves dot segments where we refuse them. Instead: every '%' that",
    "  # does not start an unreserved escape becomes %25, then url_dec decodes everything in one pass.",
    `  http-request set-var(txn.path) "path,regsub('%(?!(?:${UNRESERVED_ESCAPE}))','%25',gi),url_dec"`,
    `  acl path_ok ${path} -m beg /`,
    "  # A '.' or '..' segment, however spelled, names nothing: refused, so no spelling reaches past a prefix rule.",
    `  acl dot_segment ${path} -m reg (^|/)[.][.]?(/|$)`,
    "  # Internal RPC is for our services only (the internal listener); '//internal' too.",
    `  acl internal ${path} -m reg ^/+internal(/|$)`,
    `  acl healthz ${path} -m str /healthz`,
    `  acl metrics ${path} -m str /metrics`,
    ...(allowed.length ? [`  acl metrics_reader src ${allowed.join(' ')}`] : []),
    `  acl to_ws ${path} -m reg ^/v1/ws$`,
    `  acl to_search ${path} -m reg ^/v1/search(/|$)`,
    `  acl to_notification ${path} -m reg ^/v1/notifications(/|$)`,
    `  acl to_message ${path} -m reg ^/v1/rooms/[^/]+/(messages|events|read)(/|$)`,
    `  acl to_api ${path} -m reg ^/v1(/|$)|^/(readyz|metrics)$`,
    '',
    '  http-request deny deny_status 404 if !path_ok or dot_segment or internal',
    '  # Liveness of the entry point itself, like the gateway: never forwarded.',
    `  http-request return status 200 content-type application/json string '{"status":"ok"}' if healthz`,
    `  http-request return status 403 content-type application/json string ${json('FORBIDDEN', 'metrics are served to METRICS_ALLOWED_ADDRESSES only')} if metrics${allowed.length ? ' !metrics_reader' : ''}`,
    '  # Bodies over 1 MiB are refused by the services, not here: HAProxy before 3.0 does not drain a request',
    "  # it refuses, so a client still uploading gets a reset instead of the 413. The services read the rest",
    '  # (bounded) before answering (shared/src/http/drain-request.ts).',
    '  # Wait for the body (up to a full buffer) within the request timeout: a trickled body is cut here',
    '  # like trickled headers.',
    `  http-request wait-for-body time ${o.requestTimeoutMs}ms`,
    '  # Forward what we routed by, in origin form (an absolute-form request line, http://host/path, loses',
    "  # its scheme and host), the query as sent: the service reads exactly the path we routed.",
    `  http-request set-var(txn.query) "query,regsub('^','?')"`,
    `  http-request set-uri %[${path}]%[var(txn.query)]`,
    "  # A client's own forwarding headers are not believed (the services trust ours), nor its room header.",
    '  http-request del-header X-Forwarded-For',
    '  http-request del-header X-Real-IP',
    '  http-request del-header Forwarded',
    '  http-request del-header X-Chat-Room',
    '  # Room affinity: the message backend hashes on the room taken from /v1/rooms/<id>/...',
    `  http-request set-header X-Chat-Room %[${path},field(4,/)] if to_message`,
    '',
    '  use_backend ws if to_ws',
    '  use_backend search if to_search',
    '  use_backend notification if to_notification',
    '  use_backend message if to_message',
    '  use_backend api if to_api',
    '  default_backend web',
  ];

  const internalFrontend = [
    'frontend internal',
    "  # Our services' RPC to the message service (MESSAGE_URL). Not published: loopback locally, the compose",
    '  # network in Docker. The callers name the room in X-Chat-Room themselves; the same backend as the public',
    '  # path, so a room maps to the same instance either way. /healthz is forwarded too: a caller checking',
    '  # "is the message service up" (api\'s /readyz) learns about an instance, not about us.',
    `  bind ${addr(o.internal, 'internal')}`,
    '  default_backend message',
  ];

  const backend = (name: HaproxyUpstream, lines: string[]) => [`backend ${name}`, ...lines, ...servers(name, o.upstreams[name])];
  const backends = [
    backend('api', ['  balance roundrobin']),
    backend('message', [
      '  # One room, one instance (its writer queue and cache), from both frontends. Consistent hashing moves only',
      "  # a dead instance's rooms, and back when it returns. No X-Chat-Room: round robin.",
      '  balance hdr(X-Chat-Room)',
      '  hash-type consistent',
    ]),
    backend('search', ['  balance roundrobin']),
    backend('notification', ['  balance roundrobin']),
    backend('ws', [
      '  # Long-lived sockets: the least busy instance takes the next one.',
      '  balance leastconn',
      '  # An upgraded connection is a tunnel: an idle WebSocket stays open this long (the app pings well within it).',
      '  timeout tunnel 1h',
    ]),
    backend('web', ['  balance roundrobin']),
  ];

  const resolvers = templates
    ? [
        'resolvers docker',
        "  # Docker's embedded DNS: one A record per replica of a compose service. A backend's server-template",
        '  # has a slot per replica it may use (spare slots stay down until a scale-up fills them), and',
        '  # init-addr none lets HAProxy start (and haproxy -c pass) before any name resolves.',
        `  nameserver dns ${o.dockerDns ?? '127.0.0.11:53'}`,
        '  resolve_retries 3',
        '  timeout resolve 1s',
        '  timeout retry 1s',
        '  hold valid 10s',
        '  hold other 10s',
        '  hold refused 10s',
        '  hold nx 10s',
        '  hold timeout 10s',
        '  hold obsolete 10s',
        '  accepted_payload_size 8192',
      ]
    : [];

  const stats = o.stats
    ? [
        'frontend stats',
        '  # For operators only (never published): HAProxy\'s own metrics for Prometheus, and its stats page.',
        `  bind ${addr(o.stats, 'stats')}`,
        '  # Scrapes every few seconds: log only the failed ones.',
        '  option dontlog-normal',
        '  http-request use-service prometheus-exporter if { path /metrics }',
        '  stats enable',
        '  stats uri /stats',
        '  stats refresh 5s',
      ]
    : [];

  const sections = [global, defaults, resolvers, publicFrontend, internalFrontend, stats, ...backends].filter((s) => s.length > 0);
  return ['# Generated by shared/src/testing/haproxy-config.ts (haproxyConfig): edit that, not this.', '', ...sections.map((s) => s.join('\n') + '\n')].join('\n');
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** [status, code, message, extra headers]: the contract's codes (API.md); 408 has none there, so REQUEST_TIMEOUT. */
const ERRORS: [number, string, string, string[]][] = [
  [400, 'VALIDATION_FAILED', 'malformed request', []],
  [403, 'FORBIDDEN', 'forbidden', []],
  [404, 'NOT_FOUND', 'not found', []],
  [408, 'REQUEST_TIMEOUT', 'request not received in time', []],
  [413, 'PAYLOAD_TOO_LARGE', 'request body is over 1 MiB', []],
  [429, 'RATE_LIMITED', 'too many requests, retry later', ['retry-after: 1']],
  [500, 'INTERNAL', 'internal error', []],
  [503, 'UNAVAILABLE', 'service unavailable, retry', ['retry-after: 1']],
];

/**
 * The error files the configuration names (`errorfile <code> <errorsDir>/<file>`), by file name:
 * complete HTTP/1.1 responses with the contract's JSON body. Committed as infra/haproxy/errors/.
 */
export function haproxyErrorFiles(): Record<string, string> {
  return Object.fromEntries(
    ERRORS.map(([status, code, message, extra]) => {
      const body = JSON.stringify({ error: { code, message } });
      const head = [`HTTP/1.1 ${status} ${REASON[status]}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`, 'cache-control: no-store', ...extra];
      // HAProxy closes after its own errors anyway; saying so lets a client not try to reuse the connection.
      if (status === 408 || status === 400 || status === 413) head.push('connection: close');
      return [`${status}.http`, `${head.join('\r\n')}\r\n\r\n${body}`];
    }),
  );
}
