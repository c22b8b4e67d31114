// The page-side logic left after @sturdy-chat/client took over HTTP, session,
// socket, resume and send retries, run in Node: these modules touch no DOM.
// connect.js is run against the real client package (as the browser bundle is built from it).
import t from 'tap';
import * as lib from '@sturdy-chat/client';

// Plain JS modules shipped to the browser as they are; loaded untyped.
const load = (file: string): Promise<any> => import(new URL(`../public/js/${file}`, import.meta.url).href);
const { Outbox } = await load('outbox.js');
const { Store } = await load('state.js');
const { applyEvent } = await load('events.js');
const { createClients, resume, connectionStatus, REFRESH_KEY } = await load('connect.js');

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

class MemoryStorage {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, String(v));
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

/** A fake API on a fetch: refresh rotates tokens, /v1/users/me needs the newest access token. */
function fakeServer() {
  let n = 0;
  const calls: string[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const path = new URL(req.url).pathname;
    calls.push(`${req.method} ${path}`);
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/v1/auth/refresh') {
      const { refreshToken } = (await req.json()) as { refreshToken: string };
      if (refreshToken !== `r${n}`) return json(401, { error: { code: 'UNAUTHENTICATED', message: 'used' } });
      n++;
      return json(200, { accessToken: `a${n}`, refreshToken: `r${n}`, expiresIn: 900 });
    }
    if (path === '/v1/users/me') {
      if (req.headers.get('authorization') !== `Bearer a${n}`) return json(401, { error: { code: 'UNAUTHENTICATED', message: 'no' } });
      return json(200, { user: { id: 'u1', username: 'minji' } });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
  };
  return { fetchFn, calls };
}

t.test('connect.js: one Session for HTTP and the socket; the refresh token alone is kept, and a reload resumes from it', async (t) => {
  const server = fakeServer();
  const saved = globalThis.fetch;
  globalThis.fetch = server.fetchFn as typeof fetch;
  t.teardown(() => void (globalThis.fetch = saved));
  const storage = new MemoryStorage();
  const locked: string[] = [];
  const locks = { request: (name: string, fn: () => Promise<unknown>) => (locked.push(name), fn()) };
  const WebSocket = class {}; // never opened here
  const clients = createClients(lib, { origin: 'http://chat.test', storage, locks, WebSocket });
  t.ok(clients.http.session === clients.session, 'HTTP refreshes through the same Session');
  t.ok(clients.live instanceof lib.RealtimeClient);
  t.equal(await resume(clients, storage), null, 'nothing stored: no session to resume');

  storage.setItem(REFRESH_KEY, 'r0');
  const user = await resume(clients, storage);
  t.same(user, { id: 'u1', username: 'minji' }, 'the stored refresh token is exchanged, then /me answers');
  t.equal(storage.getItem(REFRESH_KEY), 'r1', 'the new refresh token is stored at once');
  t.same(locked, ['chat.refresh'], 'the exchange ran under the cross-tab lock');
  t.equal(clients.session.tokens.accessToken, 'a1', 'the access token stays in memory');

  storage.setItem(REFRESH_KEY, 'r1'); // what another tab would have; then it refreshes first:
  await fetch('http://chat.test/v1/auth/refresh', { method: 'POST', body: JSON.stringify({ refreshToken: 'r1' }) });
  storage.setItem(REFRESH_KEY, 'r2');
  t.equal(await clients.session.refresh(), 'a3', 'this tab exchanges the newest stored token, not its own spent one');

  storage.removeItem(REFRESH_KEY); // logged out in another tab
  await t.rejects(clients.session.refresh(), { name: 'ChatApiError', status: 401 });
  t.equal(clients.session.tokens, undefined, 'the session ends here too');
  clients.live.close();
});

t.test('connect.js: the connection dot', async (t) => {
  t.same(['idle', 'connecting', 'authenticating', 'ready', 'reconnecting', 'closed'].map(connectionStatus),
    ['offline', 'connecting', 'connecting', 'ready', 'offline', 'offline']);
});

function storeWithRoom() {
  const store = new Store();
  store.me = { id: 'me' };
  store.messages.set('r1', new Map());
  return store;
}

t.test('outbox: pending at once, one clientMsgId for the whole life of a message, shown once when acknowledged', async (t) => {
  const store = storeWithRoom();
  const calls: any[] = [];
  let answer!: (ack: unknown) => void;
  const live = { send: (roomId: string, body: string, o: any) => (calls.push({ roomId, body, ...o }), new Promise((r) => (answer = r))) };
  const outbox = new Outbox(store, live, () => 'cid-1');
  outbox.send('r1', ' hi ');
  t.same(calls, [{ roomId: 'r1', body: ' hi ', clientMsgId: 'cid-1', timeoutMs: Number.POSITIVE_INFINITY }], 'handed to the client with no timeout');
  t.equal(store.pending.get('r1').get('cid-1').failed, false, 'shown as pending');
  answer({ roomId: 'r1', clientMsgId: 'cid-1', messageId: 'm9', seq: 9 });
  await tick();
  t.equal(store.pending.get('r1').size, 0, 'no longer pending');
  t.match(store.messages.get('r1').get('m9'), { id: 'm9', seq: 9, body: 'hi', senderId: 'me', clientMsgId: 'cid-1' });
  applyEvent(store, { seq: 9, type: 'message.posted', roomId: 'r1', message: { id: 'm9', seq: 9, senderId: 'me', clientMsgId: 'cid-1', body: 'hi' } }, { onMessage() {}, onRoomGone() {}, onMemberJoined() {} });
  t.same([...store.messages.get('r1').keys()], ['m9'], 'the stored message replaces the provisional one');
});

t.test('outbox: a refused send is shown failed; retry uses the same clientMsgId', async (t) => {
  const store = storeWithRoom();
  const ids: string[] = [];
  let refuse = true;
  const live = {
    send: async (_r: string, _b: string, o: { clientMsgId: string }) => {
      ids.push(o.clientMsgId);
      if (refuse) throw Object.assign(new Error('rate limited for too long'), { code: 'FORBIDDEN' });
      return { messageId: 'm1', seq: 1 };
    },
  };
  let n = 0;
  const outbox = new Outbox(store, live, () => `cid-${++n}`);
  outbox.send('r1', 'hello');
  await tick();
  t.equal(store.pending.get('r1').get('cid-1').failed, true, 'shown as failed');
  refuse = false;
  outbox.retry('cid-1');
  t.equal(store.pending.get('r1').get('cid-1')?.failed, false, 'pending again while retried');
  await tick();
  t.same(ids, ['cid-1', 'cid-1'], 'the same clientMsgId: it can never be stored twice');
  t.equal(store.pending.get('r1').size, 0);
  t.ok(store.messages.get('r1').has('m1'));
  outbox.retry('cid-1');
  t.equal(ids.length, 2, 'an acknowledged message is not sent again');
});

t.test('events: a timeline event changes the store; a repeat does not count twice', async (t) => {
  const store = storeWithRoom();
  store.setRooms([{ id: 'r1', type: 'group', name: 'x', lastSeq: 0, memberCount: 1 }], Date.now());
  store.members.set('r1', new Map());
  const joined: string[] = [];
  const hooks = { onMessage() {}, onRoomGone() {}, onMemberJoined: (id: string) => joined.push(id) };
  const ev = { seq: 1, type: 'member.joined', roomId: 'r1', member: { userId: 'u2' } };
  applyEvent(store, ev, hooks);
  applyEvent(store, ev, hooks);
  t.equal(store.rooms.get('r1').memberCount, 2);
  t.equal(store.rooms.get('r1').lastSeq, 1);
  t.same(joined, ['r1', 'r1']);
});
