import t from 'tap';
import WebSocket from 'ws';
import { findHaproxy, haproxyProcess, haproxyVersion } from '@chat/shared/testing/haproxy';
import { freePort } from '@chat/shared/testing/server-process';
import { http, rawJson, rawSocket, sleep, standIn, type StandIn } from './lb-stand-ins';

/**
 * The Phase 3 load balancer: real HAProxy (Debian's 2.6) with the generated
 * configuration, in front of stand-in services that say who they are and
 * what reached them. What services/gateway promised, plus room affinity.
 */

const REQUEST_TIMEOUT_MS = 1500;
const UPSTREAM_TIMEOUT_MS = 1000;
const CAP = 40;
/** Not 127.0.0.1, so the ordinary test client is refused /metrics and this one is served. */
const METRICS_READER = '127.0.0.2';
const FLOODER = '127.0.0.3';
const OTHER = '127.0.0.4';

const role = (name: string) => name.replace(/-\d+$/, '');

async function main(): Promise<void> {
  const stand = {
    api: [await standIn('api')],
    message: [await standIn('message-1'), await standIn('message-2'), await standIn('message-3')],
    search: [await standIn('search-1'), await standIn('search-2')],
    notification: [await standIn('notification')],
    ws: [await standIn('ws-1', { ws: true }), await standIn('ws-2', { ws: true }), await standIn('ws-3', { ws: true })],
    web: [await standIn('web')],
  };
  const all: StandIn[] = Object.values(stand).flat();
  t.teardown(() => Promise.all(all.map((s) => s.close())));
  const servers = (list: StandIn[]) => list.map((s) => s.server);
  const [pub, internal, stats] = [await freePort(), await freePort(), await freePort()];
  const lb = haproxyProcess({
    public: { host: '127.0.0.1', port: pub },
    internal: { host: '127.0.0.1', port: internal },
    stats: { host: '127.0.0.1', port: stats },
    upstreams: {
      api: servers(stand.api),
      message: servers(stand.message),
      search: servers(stand.search),
      notification: servers(stand.notification),
      ws: servers(stand.ws),
      web: servers(stand.web),
    },
    metricsAllowed: [METRICS_READER],
    maxConnectionsPerAddress: CAP,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
  });
  t.teardown(() => lb.stop());
  await lb.start(15_000);
  t.comment(`${haproxyVersion()} on 127.0.0.1:${pub} (internal ${internal}, stats ${stats})`);

  t.test('each path, however its unreserved characters are spelled, goes to the service that owns it, as the normalised path', async (t) => {
    // [path sent, service, path the service receives (default: as sent)]
    const cases: [string, string, string?][] = [
      ['/v1/ws', 'ws'],
      ['/v1/ws?x=1', 'ws'],
      ['/v1/search?q=%EC%84%9C%EB%B2%84', 'search'],
      ['/v1/rooms/abc/messages', 'message'],
      ['/v1/rooms/abc/messages/m1', 'message'],
      ['/v1/rooms/abc/events?after=3', 'message'],
      ['/v1/rooms/abc/read', 'message'],
      ['/v1/rooms/abc', 'api'],
      ['/v1/rooms/abc/members', 'api'],
      ['/v1/rooms', 'api'],
      ['/v1/auth/login', 'api'],
      ['/v1/notifications', 'notification'],
      ['/v1/nonsense', 'api'],
      ['/readyz', 'api'],
      ['/', 'web'],
      ['/js/app.js', 'web'],
      ['/%761/rooms', 'api', '/v1/rooms'],
      ['/%76%31/search', 'search', '/v1/search'],
      ['/%56%31/search', 'web', '/V1/search'],
      ['/v%31/rooms/r1/%6Dessages?after=1', 'message', '/v1/rooms/r1/messages?after=1'],
      ['/v1/rooms/r1/%6d%65ssages', 'message', '/v1/rooms/r1/messages'],
      ['/v1/%6Eotifications', 'notification', '/v1/notifications'],
      ['/%76%31/%77%73', 'ws', '/v1/ws'],
      ['/%72eadyz', 'api', '/readyz'],
      ['/v1/rooms?q=%41%2F', 'api', '/v1/rooms?q=%41%2F'],
      ['/v1/rooms/a%2Fb', 'api', '/v1/rooms/a%2Fb'],
      ['/v1/rooms/%25761', 'api', '/v1/rooms/%25761'],
      ['/v1/rooms/a..b', 'api'],
    ];
    for (const [path, service, received = path] of cases) {
      const res = await http(pub, path);
      t.equal(res.status, 200, `${path}: 200`);
      t.equal(role(res.json?.name ?? ''), service, `${path} → ${service}`);
      t.equal(res.json?.url, received, `${path}: ${service} receives ${received}`);
    }
    const absolute = rawSocket(pub);
    absolute.socket.end('GET http://chat.example/%76%31/rooms/r1/read?x=%41 HTTP/1.1\r\nhost: chat.example\r\nconnection: close\r\n\r\n');
    const answer = rawJson(await absolute.answer);
    t.same([role(answer.name), answer.url], ['message', '/v1/rooms/r1/read?x=%41'], 'an absolute-form request line is routed and forwarded by its normalised path, in origin form');
  });

  t.test('dot segments and /internal, however spelled, are a 404 NOT_FOUND and reach nobody', async (t) => {
    const before = all.reduce((n, s) => n + s.seen.length, 0);
    for (const path of ['/v1/../internal/rpc', '/./v1/rooms', '/v1/%2e%2e/internal', '/v1/%2E/rooms', '/x/..', '/v1/rooms/%2E%2e/messages', '/internal/rpc/message/append', '/internal', '/%69nternal/rpc/x', '/%69%6E%74%65%72%6E%61%6C/rpc', '//internal/rpc/x', '///internal']) {
      const res = await http(pub, path);
      t.equal(res.status, 404, `${path}: 404`);
      t.equal(res.headers['content-type'], 'application/json', `${path}: JSON`);
      t.same(res.json, { error: { code: 'NOT_FOUND', message: 'not found' } }, `${path}: the contract's body`);
    }
    const absolute = rawSocket(pub);
    absolute.socket.end('GET http://chat.example/internal/rpc/x HTTP/1.1\r\nhost: chat.example\r\nconnection: close\r\n\r\n');
    t.match(await absolute.answer, /^HTTP\/1\.1 404 /, 'absolute-form /internal: 404');
    t.equal(all.reduce((n, s) => n + s.seen.length, 0), before, 'no stand-in saw any of them');
  });

  t.test("the client's forwarding and room headers are dropped; X-Forwarded-For is the peer", async (t) => {
    const lies = { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', forwarded: 'for=6.6.6.6', 'x-chat-room': 'someone-elses', 'x-other': 'kept' };
    const api = await http(pub, '/v1/rooms', { headers: lies });
    t.equal(api.json.headers['x-forwarded-for'], '127.0.0.1');
    for (const h of ['x-real-ip', 'forwarded', 'x-chat-room']) t.equal(api.json.headers[h], undefined, `${h} dropped`);
    t.equal(api.json.headers['x-other'], 'kept', 'other headers pass');
    const message = await http(pub, '/v1/rooms/r-42/messages', { headers: lies });
    t.equal(message.json.headers['x-chat-room'], 'r-42', 'the room header is the room of the path');
    t.equal(message.json.headers['x-forwarded-for'], '127.0.0.1');
    const other = await http(pub, '/v1/rooms', { localAddress: OTHER, headers: lies });
    t.equal(other.json.headers['x-forwarded-for'], OTHER, 'another peer is named as itself');
  });

  t.test('/healthz is answered by the load balancer itself', async (t) => {
    for (const path of ['/healthz', '/%68ealthz']) {
      const res = await http(pub, path);
      t.equal(res.status, 200);
      t.equal(res.headers['content-type'], 'application/json');
      t.same(res.json, { status: 'ok' }, path);
    }
    t.notOk(all.some((s) => s.seen.some((r) => r.url.includes('healthz'))), 'never forwarded');
  });

  t.test('/metrics only from the allowed addresses', async (t) => {
    const refused = await http(pub, '/metrics');
    t.equal(refused.status, 403, '127.0.0.1 is not allowed');
    t.equal(refused.headers['content-type'], 'application/json');
    t.same(refused.json, { error: { code: 'FORBIDDEN', message: 'metrics are served to METRICS_ALLOWED_ADDRESSES only' } });
    t.equal((await http(pub, '/%6Detrics')).status, 403, 'however spelled');
    const served = await http(pub, '/metrics', { localAddress: METRICS_READER });
    t.equal(served.status, 200, `${METRICS_READER} is allowed`);
    t.equal(served.json.name, 'api', 'forwarded to api');
    const own = await fetch(`http://127.0.0.1:${stats}/metrics`).then((r) => r.text());
    t.match(own, /haproxy_backend_active_servers\{proxy="message"\} 3/, "the stats listener serves HAProxy's own metrics");
  });

  t.test('a body over 1 MiB is passed to the service, which refuses it (see oversized-body.test.ts)', async (t) => {
    const big = await http(pub, '/v1/rooms', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    t.equal(big.json?.name, 'api', 'forwarded to its owner, which answers the 413 once the upload is over');
    const exactly = await http(pub, '/v1/rooms', { method: 'POST', body: 'x'.repeat(1024 * 1024) });
    t.equal(exactly.status, 200, 'exactly 1 MiB passes');
  });

  t.test('a request that trickles in is cut at the request timeout with a 408', async (t) => {
    for (const [what, head] of [
      ['headers', 'GET /v1/rooms HTTP/1.1\r\nhost: x\r\n'],
      ['body', 'POST /v1/rooms HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n{'],
    ] as const) {
      const raw = rawSocket(pub);
      const started = Date.now();
      raw.socket.write(head);
      const timer = setInterval(() => raw.open() && raw.socket.write(what === 'headers' ? 'x-a: b\r\n' : ' '), 200);
      const answer = await Promise.race([raw.answer, sleep(10_000).then(() => 'still open')]);
      clearInterval(timer);
      raw.socket.destroy();
      t.match(answer, /^HTTP\/1\.1 408 /, `trickled ${what}: 408`);
      const ms = Date.now() - started;
      t.ok(ms >= REQUEST_TIMEOUT_MS - 100 && ms < 3 * REQUEST_TIMEOUT_MS, `trickled ${what}: cut after ${ms} ms`);
      // HAProxy 2.6 answers errors its HTTP/1 parser meets before a request exists (headers incomplete,
      // malformed) with its built-in HTML, whatever the errorfiles say; a body's timeout is ours (JSON).
      if (what === 'body') t.same(rawJson(answer), { error: { code: 'REQUEST_TIMEOUT', message: 'request not received in time' } }, 'the JSON body');
    }
    const malformed = rawSocket(pub);
    malformed.socket.write('GET /v1/rooms HTTP/1.1\r\nho st: x\r\n\r\n');
    t.match(await malformed.answer, /^HTTP\/1\.1 400 /, 'a malformed request is a 400');
  });

  t.test('an upstream silent past the upstream timeout is a 503 UNAVAILABLE with Retry-After', async (t) => {
    const started = Date.now();
    const res = await http(pub, '/v1/notifications/silent');
    const ms = Date.now() - started;
    t.equal(res.status, 503);
    t.equal(res.headers['retry-after'], '1');
    t.equal(res.headers['content-type'], 'application/json');
    t.same(res.json, { error: { code: 'UNAVAILABLE', message: 'service unavailable, retry' } });
    t.ok(ms >= UPSTREAM_TIMEOUT_MS - 100 && ms < UPSTREAM_TIMEOUT_MS + 2000, `answered at the timeout (${ms} ms)`);
  });

  t.test('WebSocket upgrades are spread over the ws instances, and frames pass both ways', async (t) => {
    const sockets = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        new Promise<{ ws: WebSocket; hello: string }>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${pub}${i === 0 ? '/%76%31/ws' : '/v1/ws'}`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
          ws.once('message', (d) => resolve({ ws, hello: String(d) }));
          ws.once('error', reject);
        }),
      ),
    );
    t.teardown(() => sockets.forEach((s) => s.ws.terminate()));
    const names = sockets.map((s) => s.hello.replace('hello from ', ''));
    t.same([...new Set(names)].sort(), ['ws-1', 'ws-2', 'ws-3'], `every ws instance took some (${names.join(', ')})`);
    for (const [i, s] of sockets.entries()) {
      const echo = new Promise<string>((resolve) => s.ws.once('message', (d) => resolve(String(d))));
      s.ws.send(`frame-${i}`);
      t.equal(await echo, `${names[i]}:frame-${i}`, `socket ${i}: a frame there and its echo back`);
    }
    const upgrades = stand.ws.flatMap((s) => s.seen.filter((r) => r.method === 'UPGRADE'));
    t.ok(upgrades.every((r) => r.headers['x-forwarded-for'] === '127.0.0.1' && r.url === '/v1/ws'), 'the upgrade carries our X-Forwarded-For and the normalised path');
  });

  t.test('room affinity: a room goes to one message instance, via the public path and the internal listener alike', async (t) => {
    const rooms = Array.from({ length: 30 }, (_, i) => `0190c0de-${String(i).padStart(4, '0')}-7000-8000-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`);
    const owner = new Map<string, string>();
    for (const room of rooms) {
      const a = await http(pub, `/v1/rooms/${room}/messages`);
      const b = await http(pub, `/v1/rooms/${room}/events?after=1`);
      const c = await http(internal, '/internal/rpc/message/appendMessage', { method: 'POST', headers: { 'x-chat-room': room, 'content-type': 'application/json' }, body: '{}' });
      t.equal(c.json.url, '/internal/rpc/message/appendMessage', 'the internal listener forwards internal RPC');
      t.ok(a.json.name === b.json.name && b.json.name === c.json.name, `${room}: ${a.json.name}, ${b.json.name}, ${c.json.name}`);
      owner.set(room, a.json.name);
    }
    const counts = Object.fromEntries(stand.message.map((s) => [s.name, [...owner.values()].filter((n) => n === s.name).length]));
    t.ok(Object.values(counts).every((n) => n > 0), `30 rooms spread over the 3 instances (${JSON.stringify(counts)})`);
    const noRoom = new Set<string>();
    for (let i = 0; i < 6; i++) noRoom.add((await http(internal, '/internal/rpc/message/roomsOf', { method: 'POST', body: '{}' })).json.name);
    t.ok(noRoom.size > 1, `without X-Chat-Room: round robin (${[...noRoom].join(', ')})`);

    t.test('a closed instance: its rooms move to the others within 3 s, the others stay, a POST is not duplicated', async (t) => {
      const victim = stand.message[0]!;
      const moved = rooms.filter((r) => owner.get(r) === victim.name);
      const stayed = rooms.filter((r) => owner.get(r) !== victim.name);
      await victim.close();
      const closedAt = Date.now();
      // At once, before any health check notices: the connection is refused, and retried elsewhere.
      const post = await http(pub, `/v1/rooms/${moved[0]}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"clientMsgId":"once"}' });
      t.equal(post.status, 200, `the POST is answered by ${post.json?.name}`);
      const copies = stand.message.flatMap((s) => s.seen.filter((r) => r.body.includes('"once"')));
      t.equal(copies.length, 1, 'exactly one instance received it, once');
      const pending = new Set(moved);
      while (pending.size > 0 && Date.now() - closedAt < 3000) {
        for (const room of [...pending]) {
          const res = await http(pub, `/v1/rooms/${room}/read`);
          if (res.status === 200 && res.json.name !== victim.name) pending.delete(room);
        }
      }
      t.equal(pending.size, 0, `the ${moved.length} rooms of ${victim.name} are served by another instance within 3 s (${Date.now() - closedAt} ms)`);
      await sleep(2500); // past fall 2 × inter 1s: the victim is down for HAProxy now, not only refused
      const after = new Map<string, string>();
      for (const room of rooms) after.set(room, (await http(internal, '/internal/rpc/message/x', { method: 'POST', headers: { 'x-chat-room': room }, body: '{}' })).json.name);
      t.ok(stayed.every((r) => after.get(r) === owner.get(r)), 'the rooms of the live instances did not move');
      t.ok(moved.every((r) => after.get(r) !== victim.name), 'the rooms of the dead one are all elsewhere');
      for (const room of moved) t.equal((await http(pub, `/v1/rooms/${room}/messages`)).json.name, after.get(room), `${room}: the same new owner on both paths`);
    });

    t.test('a POST that reached an instance and was cut is not replayed: 503, and one copy', async (t) => {
      const room = rooms.find((r) => owner.get(r) !== stand.message[0]!.name)!;
      const res = await http(pub, `/v1/rooms/${room}/messages`, { method: 'POST', headers: { 'x-drop': '1' }, body: '{"clientMsgId":"cut"}' });
      t.equal(res.status, 503);
      t.equal(res.json?.error?.code, 'UNAVAILABLE');
      t.equal(res.headers['retry-after'], '1');
      t.equal(stand.message.flatMap((s) => s.seen.filter((r) => r.body.includes('"cut"'))).length, 1, 'one instance saw it, once');
    });
  });

  t.test('one address is held to its connection cap; another is served meanwhile', async (t) => {
    const flood = Array.from({ length: CAP + 20 }, () => rawSocket(pub, FLOODER));
    t.teardown(() => flood.forEach((f) => f.socket.destroy()));
    await sleep(500); // well within the request timeout, which would close them all
    const open = flood.filter((f) => f.open()).length;
    t.ok(open <= CAP && open >= CAP - 5, `${open} of ${flood.length} connections from ${FLOODER} stay open (cap ${CAP})`);
    t.equal((await http(pub, '/v1/rooms', { localAddress: OTHER })).status, 200, `${OTHER} is served`);
  });

  t.test('every instance of a backend down: 503 UNAVAILABLE with Retry-After', async (t) => {
    await Promise.all(stand.search.map((s) => s.close()));
    for (const wait of [0, 2500]) {
      await sleep(wait);
      const res = await http(pub, '/v1/search?q=x');
      t.equal(res.status, 503, wait ? 'once health checks have marked them down' : 'at once (connections refused)');
      t.equal(res.headers['retry-after'], '1');
      t.same(res.json, { error: { code: 'UNAVAILABLE', message: 'service unavailable, retry' } });
    }
  });

  t.test('a graceful stop is quick and nothing exited unasked', async (t) => {
    t.equal(lb.unexpectedExits, 0);
    const started = Date.now();
    await lb.stop();
    t.ok(Date.now() - started < 3000, `stopped in ${Date.now() - started} ms`);
    await t.rejects(http(pub, '/healthz'), 'no longer listening');
  });
}

if (!findHaproxy()) t.plan(0, 'haproxy is not installed: bash scripts/services.sh up haproxy');
else await main();
