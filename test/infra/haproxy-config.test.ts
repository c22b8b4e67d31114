import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { haproxyConfig, haproxyErrorFiles, type HaproxyConfigOptions } from '@chat/shared/testing/haproxy-config';
import { composeHaproxyConfig } from '../../scripts/haproxy-config';

const REGENERATE = 'regenerate with: npx tsx scripts/haproxy-config.ts --write';

t.test('infra/haproxy is what the generator writes (the compose configuration cannot drift from the tested one)', async (t) => {
  t.equal(readFileSync('infra/haproxy/haproxy.cfg', 'utf8'), composeHaproxyConfig(), `haproxy.cfg is up to date (${REGENERATE})`);
  const files = haproxyErrorFiles();
  t.same(readdirSync('infra/haproxy/errors').sort(), Object.keys(files).sort(), 'the error files, no more, no fewer');
  for (const [name, text] of Object.entries(files)) t.equal(readFileSync(`infra/haproxy/errors/${name}`, 'utf8'), text, `errors/${name} is up to date (${REGENERATE})`);
});

t.test("each error file is a whole HTTP response with the contract's JSON body", async (t) => {
  const codes: Record<string, string> = { 400: 'VALIDATION_FAILED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 408: 'REQUEST_TIMEOUT', 413: 'PAYLOAD_TOO_LARGE', 429: 'RATE_LIMITED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };
  for (const [name, text] of Object.entries(haproxyErrorFiles())) {
    const [head, body] = text.split('\r\n\r\n') as [string, string];
    const status = name.replace('.http', '');
    t.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), `${name}: status line`);
    t.match(head, /\r\ncontent-type: application\/json\r\n/, `${name}: JSON`);
    t.match(head, new RegExp(`\r\ncontent-length: ${Buffer.byteLength(body)}(\r\n|$)`), `${name}: content-length is the body's`);
    t.equal(JSON.parse(body).error.code, codes[status], `${name}: ${codes[status]}`);
    if (status === '503' || status === '429') t.match(head, /\r\nretry-after: 1(\r\n|$)/, `${name}: Retry-After`);
  }
  t.match(composeHaproxyConfig(), /errorfile 502 errors\/503\.http\n {2}errorfile 503 errors\/503\.http\n {2}errorfile 504 errors\/503\.http\n/, '502, 503 and 504 are all the 503 UNAVAILABLE');
});

const server = (name: string, port: number) => [{ name, host: '127.0.0.1', port }];
const local: HaproxyConfigOptions = {
  public: { host: '127.0.0.1', port: 3000 },
  internal: { host: '127.0.0.1', port: 3001 },
  upstreams: { api: server('api', 1), message: [...server('message-1', 2), ...server('message-2', 3)], search: server('search', 4), notification: server('notification', 5), ws: server('ws-1', 6), web: server('web', 7) },
  metricsAllowed: ['127.0.0.1', '10.0.0.0/8', '::1/128'],
  maxConnectionsPerAddress: 0,
  requestTimeoutMs: 30_000,
  upstreamTimeoutMs: 30_000,
  errorsDir: '/srv/errors',
};

t.test('local form: fixed servers, no DNS; both frontends share the one message backend', async (t) => {
  const cfg = haproxyConfig(local);
  t.equal(haproxyConfig(local), cfg, 'pure: the same options, the same text');
  t.notMatch(cfg, /resolvers|server-template/);
  t.match(cfg, /\n {2}server message-1 127\.0\.0\.1:2\n {2}server message-2 127\.0\.0\.1:3\n/);
  t.equal(cfg.match(/^backend message$/gm)?.length, 1, 'one message backend');
  t.match(cfg, /frontend internal\n(?: {2}#.*\n)* {2}bind 127\.0\.0\.1:3001\n {2}default_backend message\n/, 'the internal listener goes to it');
  t.match(cfg, /balance hdr\(X-Chat-Room\)\n {2}hash-type consistent\n/);
  t.match(cfg, /retry-on conn-failure\n/);
  t.notMatch(cfg, /stick-table/, 'a cap of 0 is no cap');
  t.match(cfg, /acl metrics_reader src 127\.0\.0\.1 10\.0\.0\.0\/8 ::1\/128\n/);
  t.notMatch(cfg, /frontend stats/, 'no stats listener unless asked');
  t.notMatch(cfg, /^ {2}maxconn /m, 'maxconn left to the file descriptor limit unless given');
  t.match(haproxyConfig({ ...local, maxConnectionsPerAddress: 7 }), /tcp-request connection reject if \{ sc0_conn_cur gt 7 \}/);
  t.match(haproxyConfig({ ...local, metricsAllowed: [] }), /string '[^']*METRICS_ALLOWED_ADDRESSES only[^']*' if metrics\n/, 'an empty list: /metrics for nobody');
  t.match(haproxyConfig({ ...local, stats: { host: '127.0.0.1', port: 8405 } }), /bind 127\.0\.0\.1:8405\n[^]*use-service prometheus-exporter/);
  t.match(haproxyConfig({ ...local, public: { host: '::1', port: 80 } }), /bind \[::1\]:80\n/);
});

t.test('refuses options that would not be a sound configuration', async (t) => {
  const bad: [string, Partial<HaproxyConfigOptions>][] = [
    ['a server name with a space', { upstreams: { ...local.upstreams, api: server('a pi', 1) } }],
    ['no servers', { upstreams: { ...local.upstreams, web: [] } }],
    ['a port out of range', { public: { host: '127.0.0.1', port: 70000 } }],
    ['a metrics entry that is no address', { metricsAllowed: ['10.0.0.0/8 || 1'] }],
    ['a CIDR too wide', { metricsAllowed: ['10.0.0.0/33'] }],
    ['a negative cap', { maxConnectionsPerAddress: -1 }],
    ['an errors directory with a space', { errorsDir: '/a b' }],
    ['a template with no slots', { upstreams: { ...local.upstreams, ws: { service: 'ws', count: 0, port: 3000 } } }],
  ];
  for (const [what, o] of bad) t.throws(() => haproxyConfig({ ...local, ...o }), /haproxyConfig:/, what);
});
