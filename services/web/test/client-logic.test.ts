// The page's ordering and retry logic, run in Node: these modules touch no DOM.
import t from 'tap';

// Plain JS modules shipped to the browser as they are; loaded untyped.
const load = (file: string): Promise<any> => import(new URL(`../public/js/${file}`, import.meta.url).href);
const { TimelineSync } = await load('sync.js');
const { Outbox } = await load('outbox.js');
const { Store } = await load('state.js');

const ev = (seq: number) => ({ seq, type: 'message.posted', roomId: 'r1', message: { id: `m${seq}`, seq } });
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

t.test('timeline: in order, once, and gaps filled from GET /events', async (t) => {
  const requested: string[] = [];
  const api = {
    get: async (path: string) => {
      requested.push(path);
      return { events: [ev(3), ev(4)], hasMore: false };
    },
  };
  const applied: number[] = [];
  const sync = new TimelineSync(api, { onEvent: (e: { seq: number }) => applied.push(e.seq) });
  sync.receive('r1', 1, ev(1));
  t.same(applied, [], 'a room that is not followed is ignored');
  sync.track('r1', 0);
  sync.receive('r1', 1, ev(1));
  sync.receive('r1', 2, ev(2));
  sync.receive('r1', 2, ev(2));
  sync.receive('r1', 1, ev(1));
  t.same(applied, [1, 2], 'repeats are dropped');
  sync.receive('r1', 5, ev(5));
  t.same(applied, [1, 2], 'nothing after a gap is applied before the gap is filled');
  await tick(10);
  t.same(requested, ['/v1/rooms/r1/events?after=2&limit=500']);
  t.same(applied, [1, 2, 3, 4, 5], 'the gap is filled, then the held event applied');
  sync.receive('r1', 4, ev(4));
  sync.receive('r1', 6, ev(6));
  t.same(applied, [1, 2, 3, 4, 5, 6]);
  t.same(sync.subscriptions(), [{ roomId: 'r1', sinceSeq: 6 }], 'a reconnect resumes after the last applied seq');
});

t.test('outbox: HTTP while the socket is down, the same clientMsgId on every try', async (t) => {
  const store = new Store();
  store.me = { id: 'me' };
  store.messages.set('r1', new Map());
  const posts: any[] = [];
  let failures = 1;
  const api = {
    post: async (_path: string, body: any) => {
      posts.push(body);
      if (failures-- > 0) throw new TypeError('Failed to fetch');
      return { message: { id: 'm1', roomId: 'r1', seq: 7, senderId: 'me', clientMsgId: body.clientMsgId, body: body.body } };
    },
  };
  const socket = { send: () => false };
  const outbox = new Outbox(store, api, socket);
  outbox.send('r1', 'hello');
  t.equal(store.pending.get('r1').size, 1, 'shown at once as pending');
  await tick(700);
  t.equal(posts.length, 2, 'a failed post is retried');
  t.equal(posts[0].clientMsgId, posts[1].clientMsgId, 'with the same clientMsgId');
  t.equal(store.pending.get('r1').size, 0, 'no longer pending once stored');
  t.equal(store.messages.get('r1').get('m1').seq, 7);
});

t.test('outbox: over the socket until acked, resent after a reconnect', async (t) => {
  const store = new Store();
  store.me = { id: 'me' };
  store.messages.set('r1', new Map());
  const frames: any[] = [];
  const socket = { send: (f: any) => (frames.push(f), true) };
  const api = { post: () => new Promise(() => undefined) };
  const outbox = new Outbox(store, api, socket);
  outbox.send('r1', 'hi');
  outbox.resendAll(); // the socket came back before the ack
  t.equal(frames.length, 2, 'sent again after a reconnect');
  t.equal(frames[0].clientMsgId, frames[1].clientMsgId);
  t.match(frames[0], { type: 'send', roomId: 'r1', body: 'hi' });
  outbox.onAck({ roomId: 'r1', clientMsgId: frames[0].clientMsgId, messageId: 'm9', seq: 9 });
  outbox.onAck({ roomId: 'r1', clientMsgId: frames[0].clientMsgId, messageId: 'm9', seq: 9 });
  t.equal(store.pending.get('r1').size, 0);
  t.same([...store.messages.get('r1').keys()], ['m9'], 'shown once');
  outbox.resendAll();
  t.equal(frames.length, 2, 'an acknowledged message is not sent again');
});
