// The chat page in a real browser (Debian's chromium through playwright-core)
// against the real server: two people chat live, one drops off the network
// and catches up on everything in order exactly once, and Korean search works.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ServerProcess } from '@chat/shared/testing/server-process';

const CHROMIUM = '/usr/bin/chromium';
const ENSURE_CHROMIUM = fileURLToPath(new URL('../scripts/ensure-chromium.sh', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../../../docs/screenshots/chat.png', import.meta.url));
const WAIT_MS = 15_000;
const PASSWORD = 'correct horse battery';
// Short-lived access tokens, so the page must refresh them (and re-auth its
// socket) while the test runs.
const ACCESS_TTL_S = 12;

t.setTimeout(300_000); // a first run may install chromium from the OS packages

const sel = (testid: string) => `[data-testid="${testid}"]`;
const suffix = randomBytes(3).toString('hex');

interface Person {
  name: string;
  username: string;
  context: BrowserContext;
  page: Page;
}

let server: ServerProcess | undefined;
let browser: Browser | undefined;

t.teardown(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
});

async function baseUrl(): Promise<string> {
  // WEB_E2E_BASE_URL points the test at a server already running on this machine.
  if (process.env.WEB_E2E_BASE_URL) return process.env.WEB_E2E_BASE_URL;
  server = new ServerProcess({ target: 'embedded', env: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_S) } });
  await server.start(60_000);
  return server.baseUrl;
}

/** A plain HTTP call to the API, for what the test does outside the browser. */
async function http(url: string, method: string, path: string, token?: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

async function bodies(page: Page): Promise<string[]> {
  return page.$$eval(`${sel('message-list')} ${sel('message-body')}`, (els) => els.map((e) => e.textContent ?? ''));
}

/** Polls until `check` holds; fails with `what` and the last value seen. */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

async function join(url: string, name: string): Promise<Person> {
  const context = await browser!.newContext({ baseURL: url, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (err) => t.fail(`${name}'s page threw: ${err.message}`));
  const username = `${name.toLowerCase()}_${suffix}`;
  await page.goto('/');
  await page.fill(sel('auth-username'), username);
  await page.fill(sel('auth-password'), 'not the password');
  await page.click(sel('auth-login'));
  await until(`${name} to be told the login failed`, () => page.textContent(sel('auth-error')), (text) => Boolean(text));
  await page.fill(sel('auth-username'), username);
  await page.fill(sel('auth-password'), PASSWORD);
  await page.fill(sel('auth-display-name'), name);
  await page.click(sel('auth-register'));
  await page.waitForSelector(sel('chat-screen'), { state: 'visible' });
  await page.waitForSelector(`${sel('connection-status')}[data-status="ready"]`);
  return { name, username, context, page };
}

function roomIdOf(p: Person): string {
  return decodeURIComponent(new URL(p.page.url()).hash.slice(1));
}

async function send(p: Person, text: string) {
  await p.page.fill(sel('composer-input'), text);
  await p.page.press(sel('composer-input'), 'Enter');
}

async function sees(p: Person, text: string) {
  await until(`${p.name} to see “${text}”`, () => bodies(p.page), (b) => b.includes(text));
}

t.test('two people chat in the browser', async (t) => {
  execFileSync('bash', [ENSURE_CHROMIUM], { stdio: 'inherit', timeout: 240_000 });
  const url = await baseUrl();
  const index = await fetch(url).then((r) => r.text());
  t.match(index, /data-testid="chat-screen"/, 'the server serves the chat page at /');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const alice = await join(url, 'Alice');
  let lastPageLoadAt = Date.now(); // the last (re)load or reconnect: the final step waits a token lifetime past it
  const bob = await join(url, 'Bob');
  const room = 'Launch plans'; // users are new each run, so the name cannot collide

  await t.test('alice creates a room and adds bob by username', async (t) => {
    await alice.page.fill(sel('new-room-name'), room);
    await alice.page.click(sel('new-room-create'));
    await until('the new room to open', () => alice.page.textContent(sel('room-title')), (title) => title === room);
    await alice.page.fill(sel('add-member-input'), `nobody_${suffix}`);
    await alice.page.click(sel('add-member-submit'));
    await until('an error for an unknown username', () => alice.page.textContent(sel('add-member-error')), (text) => /No user named/.test(text ?? ''));
    await alice.page.fill(sel('add-member-input'), bob.username);
    await alice.page.click(sel('add-member-submit'));
    const names = await until('bob in alice’s member list', () => alice.page.$$eval(sel('member'), (els) => els.map((e) => e.textContent)), (n) => n.length === 2);
    t.ok(names.some((n) => n?.startsWith('Bob')), 'bob is listed as a member');
    await send(alice, 'Welcome, Bob!');
    await sees(alice, 'Welcome, Bob!');
    const bobRoom = `${sel('room-item')}[data-room-name="${room}"]`;
    await bob.page.waitForSelector(`${bobRoom} ${sel('room-unread')}`);
    t.equal(await bob.page.textContent(`${bobRoom} ${sel('room-unread')}`), '1', 'bob sees one unread message');
    await bob.page.click(bobRoom);
    await sees(bob, 'Welcome, Bob!');
    await bob.page.waitForSelector(`${bobRoom} ${sel('room-unread')}`, { state: 'detached' });
  });

  await t.test('messages, typing and presence arrive live both ways', async (t) => {
    await send(bob, 'Hi Alice 👋 <b>not bold</b>');
    await sees(alice, 'Hi Alice 👋 <b>not bold</b>');
    t.equal(await alice.page.$$eval(`${sel('message-list')} b`, (els) => els.length), 0, 'user text is never parsed as HTML');
    await send(alice, 'Hello Bob, all good?');
    await sees(bob, 'Hello Bob, all good?');
    await alice.page.waitForSelector(`${sel('message')}[data-state="sent"] >> text=Hello Bob, all good?`);
    await bob.page.type(sel('composer-input'), 'typing…', { delay: 20 });
    await until('alice to see bob typing', () => alice.page.textContent(sel('typing-indicator')), (text) => /Bob is typing/.test(text ?? ''));
    await bob.page.fill(sel('composer-input'), '');
    await alice.page.waitForSelector(`${sel('member')}[data-online="true"] >> text=Bob`);
    t.pass('typing and presence shown');
  });

  await t.test('bob misses messages while offline and catches up exactly once, in order', async (t) => {
    await bob.context.setOffline(true);
    await bob.page.waitForSelector(`${sel('connection-status')}[data-status="offline"]`);
    const missed = [1, 2, 3, 4, 5].map((i) => `While you were away #${i}`);
    for (const text of missed) await send(alice, text);
    await until('alice’s sends to be acknowledged', () => alice.page.$$eval(`${sel('message')}[data-state="pending"]`, (e) => e.length), (n) => n === 0);
    await send(bob, 'Sent from the tunnel');
    await bob.page.waitForSelector(`${sel('message')}[data-state="pending"] >> text=Sent from the tunnel`);
    t.notOk((await bodies(bob.page)).includes(missed[0]!), 'nothing reaches bob while he is offline');

    await bob.context.setOffline(false);
    const expected = ['Welcome, Bob!', 'Hi Alice 👋 <b>not bold</b>', 'Hello Bob, all good?', ...missed];
    const seen = await until('bob to catch up', () => bodies(bob.page), (b) => missed.every((m) => b.includes(m)) && b.includes('Sent from the tunnel'));
    await bob.page.waitForSelector(`${sel('message')}[data-state="sent"] >> text=Sent from the tunnel`);
    await new Promise((r) => setTimeout(r, 500)); // a late duplicate would show up now
    const final = await bodies(bob.page);
    t.same(final.filter((b) => expected.includes(b)), expected, 'everything bob missed, in order, exactly once');
    t.equal(final.length, new Set(final).size, 'no message is shown twice');
    t.ok(seen.length > 0);
    await sees(alice, 'Sent from the tunnel');
    const aliceSees = await bodies(alice.page);
    t.equal(aliceSees.filter((b) => b === 'Sent from the tunnel').length, 1, 'bob’s retried send arrives once');
  });

  await t.test('search finds Korean text inside a word', async (t) => {
    await send(bob, '서버가 죽었어요');
    await sees(alice, '서버가 죽었어요');
    const hits = await until('a search hit for 서버', async () => {
      await alice.page.fill(sel('search-input'), '');
      await alice.page.fill(sel('search-input'), '서버');
      await alice.page.waitForSelector(`${sel('search-hit')}, ${sel('search-empty')}`, { timeout: 3000 }).catch(() => undefined);
      return alice.page.$$eval(sel('search-hit-body'), (els) => els.map((e) => e.textContent));
    }, (h) => h.length > 0);
    t.same(hits, ['서버가 죽었어요']);
    // A second room with an unread message, so the screenshot shows the badge too.
    await bob.page.fill(sel('new-room-name'), 'Random');
    await bob.page.click(sel('new-room-create'));
    await until('bob’s new room to open', () => bob.page.textContent(sel('room-title')), (title) => title === 'Random');
    await bob.page.fill(sel('add-member-input'), alice.username);
    await bob.page.click(sel('add-member-submit'));
    await until('alice in bob’s new room', () => bob.page.$$(sel('member')).then((m) => m.length), (n) => n === 2);
    await send(bob, 'Lunch at noon?');
    await alice.page.waitForSelector(`${sel('room-item')}[data-room-name="Random"] ${sel('room-unread')}`);
    t.equal(await alice.page.textContent(`${sel('room-item')}[data-room-name="Random"] ${sel('room-unread')}`), '1', 'alice sees the new room with one unread');
    await bob.page.click(`${sel('room-item')}[data-room-name="${room}"]`);
    await bob.page.waitForSelector(`${sel('message-list')}[data-room-id="${roomIdOf(alice)}"]`);
    mkdirSync(fileURLToPath(new URL('.', `file://${SCREENSHOT}`)), { recursive: true });
    await alice.page.screenshot({ path: SCREENSHOT });
  });

  const everything = ['Welcome, Bob!', 'Hi Alice 👋 <b>not bold</b>', 'Hello Bob, all good?',
    ...[1, 2, 3, 4, 5].map((i) => `While you were away #${i}`), 'Sent from the tunnel', '서버가 죽었어요'];
  const roomId = roomIdOf(alice);
  const { accessToken: aliceToken } = await http(url, 'POST', '/v1/auth/login', undefined, { username: alice.username, password: PASSWORD });

  await t.test('edits and deletes show up live, deleted as a tombstone', async (t) => {
    const idOf = (text: string) => alice.page.getAttribute(`${sel('message')}:has(${sel('message-body')}:text-is("${text}"))`, 'data-message-id');
    const edited = await idOf('Hello Bob, all good?');
    const deleted = await idOf('While you were away #3');
    t.ok(edited && deleted, 'alice’s page knows the message ids');
    await http(url, 'PATCH', `/v1/rooms/${roomId}/messages/${edited}`, aliceToken, { body: 'Hello Bob, all good? (edited)' });
    await http(url, 'DELETE', `/v1/rooms/${roomId}/messages/${deleted}`, aliceToken);
    await sees(bob, 'Hello Bob, all good? (edited)');
    await bob.page.waitForSelector(`${sel('message')}[data-message-id="${deleted}"][data-state="deleted"]`);
    t.notOk((await bodies(bob.page)).includes('While you were away #3'), 'the deleted text is gone');
    everything[2] = 'Hello Bob, all good? (edited)';
    everything[5] = 'This message was deleted';
  });

  await t.test('a reload resumes the session and scrolling up pages back through history', async (t) => {
    const backlog = Array.from({ length: 60 }, (_, i) => `Backlog #${String(i + 1).padStart(2, '0')}`);
    for (const body of backlog) await http(url, 'POST', `/v1/rooms/${roomId}/messages`, aliceToken, { clientMsgId: body, body });
    lastPageLoadAt = Date.now();
    await bob.page.reload();
    await bob.page.waitForSelector(sel('chat-screen'), { state: 'visible' });
    await sees(bob, 'Backlog #60');
    const firstPage = await bodies(bob.page);
    t.equal(firstPage.length, 50, 'the newest 50 first');
    await bob.page.waitForSelector(sel('load-older'));
    await until('bob to scroll back to the start', async () => {
      await bob.page.$eval(sel('message-list'), (el) => el.scrollTo(0, 0));
      return bob.page.$$(sel('history-start')).then((h) => h.length);
    }, (n) => n === 1);
    t.same(await bodies(bob.page), [...everything, ...backlog], 'the whole history, in order, exactly once');
  });

  await t.test('with WebSockets refused, the page still loads and sends over HTTP (same clientMsgId, once)', async (t) => {
    const context = await browser!.newContext({ baseURL: url, viewport: { width: 1280, height: 800 } });
    t.teardown(() => context.close().catch(() => undefined));
    let sockets = 0;
    // A proxy or network that lets HTTP through but no WebSocket: every socket is closed at once.
    await context.routeWebSocket(/\/v1\/ws/, (ws) => {
      sockets++;
      ws.close({ code: 1006, reason: 'no websockets here' });
    });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => t.fail(`the socketless page threw: ${err.message}`));
    await page.goto(`/#${encodeURIComponent(roomId)}`);
    await page.fill(sel('auth-username'), alice.username);
    await page.fill(sel('auth-password'), PASSWORD);
    await page.click(sel('auth-login'));
    await until('the room to open over HTTP', () => page.textContent(sel('room-title')).catch(() => null), (title) => title === room);
    await until('a socket to have been tried', async () => sockets, (n) => n > 0);
    t.not(await page.getAttribute(sel('connection-status'), 'data-status'), 'ready', 'no socket is ready');
    const text = 'Sent over HTTP, no socket';
    await page.fill(sel('composer-input'), text);
    await page.press(sel('composer-input'), 'Enter');
    await page.waitForSelector(`${sel('message')}[data-state="sent"] >> text=${text}`);
    await sees(bob, text);
    await sees(alice, text);
    t.equal((await bodies(bob.page)).filter((b) => b === text).length, 1, 'stored once');
  });

  await t.test('a server restart loses nothing: sockets reconnect and pending sends go through', { skip: server ? false : 'the server is not ours to restart' }, async (t) => {
    await server!.stop();
    await alice.page.waitForSelector(`${sel('connection-status')}:not([data-status="ready"])`);
    await send(alice, 'Sent while the server was down');
    await alice.page.waitForSelector(`${sel('message')}[data-state="pending"]`);
    await server!.start(60_000);
    await alice.page.waitForSelector(`${sel('connection-status')}[data-status="ready"]`, { timeout: 20_000 });
    await bob.page.waitForSelector(`${sel('connection-status')}[data-status="ready"]`, { timeout: 20_000 });
    lastPageLoadAt = Date.now(); // both sockets are new, possibly on tokens fetched just now
    await sees(bob, 'Sent while the server was down');
    await send(bob, 'Back again');
    await sees(alice, 'Back again');
    const final = await bodies(bob.page);
    t.equal(final.filter((b) => b === 'Sent while the server was down').length, 1, 'delivered exactly once');
    t.equal(final.length, new Set(final).size, 'no message is shown twice');
  });

  await t.test('access tokens are refreshed before they expire, without dropping the socket', async (t) => {
    const past = lastPageLoadAt + (ACCESS_TTL_S + 3) * 1000 - Date.now();
    if (past > 0) await new Promise((r) => setTimeout(r, past));
    await send(bob, 'Still there?');
    await sees(alice, 'Still there?');
    for (const p of [alice, bob]) {
      t.equal(await p.page.getAttribute(sel('connection-status'), 'data-auth-drops'), '0', `${p.name}’s socket was never closed for an expired token`);
    }
  });
});
