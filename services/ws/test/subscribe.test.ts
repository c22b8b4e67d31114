import t from 'tap';
import { UnavailableError } from '@chat/shared/kernel/errors';
import { sleep, unhandledRejections, wsFixture } from './support/ws-fixture';

// Promise 2: a subscribe succeeds whole or leaves nothing behind; a retry works as if the first never happened.

const seqs = (frames: Array<{ seq: number }>) => frames.map((f) => f.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const failing of ['lastSeq', 'roleOf'] as const) {
  t.test(`${failing} failing: error UNAVAILABLE for that room, and the retry with sinceSeq replays everything`, async (t) => {
    const rejections = unhandledRejections(t);
    const f = await wsFixture(t);
    f.rooms.create('r', ['u']);
    await f.rooms.post('r', 5);
    const c = await f.connect('u');
    let fail = true;
    f.rooms.before = (method) => {
      if (method === failing && fail) throw new UnavailableError('message service unreachable');
    };
    t.match(await c.subscribe('r', 2), { type: 'error', code: 'UNAVAILABLE', roomId: 'r' });
    await f.rooms.post('r', 2); // live events while nothing is subscribed: not for this socket
    await sleep(50);
    t.same(c.queue.filter((x) => x.type === 'event'), [], 'nothing delivered for the failed subscribe');
    fail = false;
    t.match(await c.subscribe('r', 2), { type: 'subscribed', roomId: 'r', lastSeq: 7 });
    t.same(seqs(await c.eventsUntil('r', 7)), range(3, 7), 'sinceSeq+1..lastSeq');
    await f.rooms.post('r', 1);
    t.same(seqs(await c.eventsUntil('r', 8)), [8], 'then live');
    await sleep(50);
    t.same(c.queue.filter((x) => x.type === 'event'), [], 'no repeats');
    t.same(rejections, []);
  });
}

t.test('a removal while the subscribe waits for the store: error NOT_FOUND, never subscribed or unsubscribed', async (t) => {
  const f = await wsFixture(t);
  f.rooms.create('r', ['u', 'v']);
  await f.rooms.post('r', 3);
  const c = await f.connect('u');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  f.rooms.before = (method) => (method === 'lastSeq' ? gate : undefined);
  c.send({ type: 'subscribe', roomId: 'r', sinceSeq: 0 });
  await sleep(50);
  f.rooms.before = () => undefined;
  await f.rooms.append('r', { type: 'member.left', userId: 'u' });
  await f.rooms.post('r', 2);
  await sleep(50);
  release();
  t.match(await c.next((x) => x.roomId === 'r'), { type: 'error', code: 'NOT_FOUND', roomId: 'r' });
  await f.rooms.post('r', 1);
  await sleep(100);
  t.same(c.queue.filter((x) => x.roomId === 'r'), [], 'nothing else about the room');
});

t.test('a socket closing while its subscribe waits leaves nothing subscribed', async (t) => {
  const rejections = unhandledRejections(t);
  const f = await wsFixture(t);
  f.rooms.create('r', ['u']);
  const c = await f.connect('u');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  f.rooms.before = (method) => (method === 'lastSeq' ? gate : undefined);
  c.send({ type: 'subscribe', roomId: 'r' });
  await sleep(50);
  c.terminate();
  await c.closed;
  await sleep(50);
  release();
  await sleep(50);
  t.equal(f.hub.watching('r'), 0, 'no socket watches the room');
  t.same(rejections, []);
});
