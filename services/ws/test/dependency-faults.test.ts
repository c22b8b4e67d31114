import t from 'tap';
import { sleep, unhandledRejections, wsFixture } from './support/ws-fixture';

// Promise 1: a dependency that fails or stops answering never takes the process down, and sockets stay served.

t.test('presence down at ready: the socket is ready and served, nothing unhandled; the lease is taken once presence is back', async (t) => {
  const rejections = unhandledRejections(t);
  const f = await wsFixture(t);
  f.rooms.create('r', ['u', 'w']);
  const watcher = await f.connect('w');
  await watcher.subscribe('r');
  f.presence.mode = 'down';
  const c = await f.connect('u');
  t.match(await c.ping(), { type: 'pong' }, 'frames are answered');
  await sleep(200);
  t.same(rejections, [], 'no unhandled rejection');
  t.ok(c.isOpen, 'still open');
  t.ok(f.logs.some((l) => l.level === 'warn'), 'the failure is logged as a warning');
  f.presence.mode = 'up';
  t.match(await watcher.next((x) => x.type === 'presence' && x.userId === 'u', 3000, 'online once presence is back'), { status: 'online' });
  t.same(await f.presence.inner.onlineAmong(['u']), ['u'], 'the lease was taken');
  t.same(rejections, []);
});

t.test('presence that never answers: ready and ping are not held up; the call gives up and retries', async (t) => {
  const rejections = unhandledRejections(t);
  const f = await wsFixture(t);
  f.rooms.create('r', ['u', 'w']);
  const watcher = await f.connect('w');
  await watcher.subscribe('r');
  f.presence.mode = 'hung';
  const c = await f.connect('u');
  t.match(await c.ping(1000), { type: 'pong' });
  await sleep(500);
  f.presence.mode = 'up';
  t.match(await watcher.next((x) => x.type === 'presence' && x.userId === 'u', 3000, 'online'), { status: 'online' });
  t.same(rejections, []);
});

t.test('the bus refusing signals: presence is skipped or retried, typing answers UNAVAILABLE, the socket stays open', async (t) => {
  const rejections = unhandledRejections(t);
  const f = await wsFixture(t);
  f.rooms.create('r', ['u']);
  f.bus.signals = 'down';
  const c = await f.connect('u');
  c.send({ type: 'typing', roomId: 'r' });
  t.match(await c.next((x) => x.type === 'error'), { code: 'UNAVAILABLE', roomId: 'r' });
  f.bus.signals = 'hung';
  c.send({ type: 'typing', roomId: 'r' });
  t.match(await c.next((x) => x.type === 'error', 2000), { code: 'UNAVAILABLE', roomId: 'r' }, 'a publish that never answers too');
  t.match(await c.ping(), { type: 'pong' });
  c.close();
  await c.closed;
  await sleep(300);
  t.same(rejections, [], 'nothing unhandled, at ready or at close');
});

t.test('a socket that closes while presence is down leaves no lease behind once it is back', async (t) => {
  const rejections = unhandledRejections(t);
  const f = await wsFixture(t);
  f.presence.mode = 'down';
  const c = await f.connect('u');
  await sleep(100);
  c.close();
  await c.closed;
  await sleep(100);
  f.presence.mode = 'up';
  await sleep(500);
  t.same(await f.presence.inner.onlineAmong(['u']), [], 'not online');
  t.same(rejections, []);
});

t.test('a store that never answers: subscribe answers UNAVAILABLE for that room, later frames are served', async (t) => {
  const rejections = unhandledRejections(t);
  const f = await wsFixture(t);
  f.rooms.create('r', ['u']);
  await f.rooms.post('r', 3);
  const c = await f.connect('u');
  f.rooms.before = () => new Promise(() => undefined);
  t.match(await c.subscribe('r', 0), { type: 'error', code: 'UNAVAILABLE', roomId: 'r' });
  t.match(await c.ping(), { type: 'pong' });
  f.rooms.before = () => undefined;
  t.match(await c.subscribe('r', 0), { type: 'subscribed', lastSeq: 3 });
  t.same((await c.eventsUntil('r', 3)).map((x) => x.seq), [1, 2, 3]);
  t.same(rejections, []);
});

t.test('a presence fan-out that cannot read the user\'s rooms is skipped: never unhandled, never holding later signals', async (t) => {
  const rejections = unhandledRejections(t);
  const f = await wsFixture(t);
  f.rooms.create('r', ['u', 'w']);
  const watcher = await f.connect('w');
  await watcher.subscribe('r');
  let failures = 1;
  f.rooms.before = (method) => {
    if (method === 'roomIdsOf' && failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  };
  const u = await f.connect('u');
  u.send({ type: 'typing', roomId: 'r' });
  t.match(await watcher.next((x) => x.type === 'typing', 3000), { userId: 'u' }, 'the next signal arrives');
  await sleep(100);
  t.same(watcher.queue.filter((x) => x.type === 'presence'), [], 'the online frame was skipped');
  t.same(f.bus.deadLetters(), [], 'nothing dead-lettered');
  t.ok(f.logs.some((l) => l.level === 'warn' && /presence fan-out/.test(l.msg)), 'logged');
  t.same(rejections, []);
});
