import t from 'tap';
import { sleep, wsFixture } from './support/ws-fixture';

// Promise 3: nothing after a user's member.left (or the room's room.deleted) reaches that user, by replay or live.

const seqs = (frames: Array<{ seq: number }>) => frames.map((f) => f.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const slowReplay = { replay: { pageBytes: 1024, maxPageEvents: 200, socketBytesPerSecond: 2000, userBytesPerSecond: 1e9, userMsPerSecond: 1e6, userReadsInFlight: 2 } };

t.test('a non-member subscribing: NOT_FOUND', async (t) => {
  const f = await wsFixture(t);
  f.rooms.create('r', ['v']);
  const c = await f.connect('u');
  t.match(await c.subscribe('r', 0), { type: 'error', code: 'NOT_FOUND', roomId: 'r' });
  t.match(await c.subscribe('nowhere'), { type: 'error', code: 'NOT_FOUND', roomId: 'nowhere' });
});

t.test('a replay from a stale membership answer stops at the member.left, then unsubscribed', async (t) => {
  const f = await wsFixture(t);
  f.rooms.create('r', ['u', 'v']);
  await f.rooms.post('r', 10);
  await f.rooms.append('r', { type: 'member.left', userId: 'u' });
  await f.rooms.post('r', 4);
  f.rooms.staleMembers.add('u'); // a membership cache that has not heard of the removal yet
  const c = await f.connect('u');
  t.match(await c.subscribe('r', 0), { type: 'subscribed' });
  const frames = await c.eventsUntil('r', 11);
  t.same(seqs(frames), range(1, 11));
  t.match(frames.at(-1), { event: { type: 'member.left', userId: 'u' } });
  t.match(await c.next((x) => x.type === 'unsubscribed'), { roomId: 'r', reason: 'removed' });
  await f.rooms.post('r', 1);
  await sleep(100);
  t.same(c.queue.filter((x) => x.roomId === 'r'), [], 'nothing after');
});

t.test('a removal while a replay is paced: everything up to member.left, then unsubscribed, nothing after', async (t) => {
  const f = await wsFixture(t, slowReplay);
  f.rooms.create('r', ['u', 'v']);
  await f.rooms.post('r', 30);
  const c = await f.connect('u');
  await c.subscribe('r', 0);
  await c.eventsUntil('r', 5);
  t.ok(c.queue.filter((x) => x.type === 'event').length < 25, 'the replay is still under way');
  await f.rooms.append('r', { type: 'member.left', userId: 'u' });
  await f.rooms.post('r', 3);
  const unsubscribed = await c.next((x) => x.type === 'unsubscribed', 15_000);
  t.match(unsubscribed, { roomId: 'r', reason: 'removed' });
  const events = c.received.filter((x) => x.type === 'event');
  t.same(seqs(events), range(1, 31), 'gapless up to the member.left');
  t.match(events.at(-1), { event: { type: 'member.left', userId: 'u' } });
  t.equal(c.received.at(-1), unsubscribed, 'unsubscribed is the last frame');
});

t.test('room.deleted while a replay is paced: the events before it, then unsubscribed room.deleted', async (t) => {
  const f = await wsFixture(t, slowReplay);
  f.rooms.create('r', ['u']);
  await f.rooms.post('r', 25);
  const c = await f.connect('u');
  await c.subscribe('r', 0);
  await c.eventsUntil('r', 3);
  await f.rooms.append('r', { type: 'room.deleted' });
  t.match(await c.next((x) => x.type === 'unsubscribed', 15_000), { roomId: 'r', reason: 'room.deleted' });
  t.same(seqs(c.received.filter((x) => x.type === 'event')), range(1, 25));
});

t.test('a subscribe after this instance saw the removal: NOT_FOUND even if the membership answer is stale', async (t) => {
  const f = await wsFixture(t);
  f.rooms.create('r', ['u', 'v']);
  await f.rooms.post('r', 3);
  const left = await f.rooms.append('r', { type: 'member.left', userId: 'u' });
  await sleep(20);
  f.rooms.staleMembers.add('u');
  const c = await f.connect('u');
  t.match(await c.subscribe('r'), { type: 'error', code: 'NOT_FOUND' }, 'without sinceSeq');
  t.match(await c.subscribe('r', left.seq), { type: 'error', code: 'NOT_FOUND' }, 'from the member.left on');
  await f.rooms.post('r', 2);
  await sleep(100);
  t.same(c.queue.filter((x) => x.type === 'event'), [], 'nothing leaks');
});

t.test('a member.left that arrives late ends a subscription already past it, at once', async (t) => {
  const f = await wsFixture(t);
  f.rooms.create('r', ['u', 'v']);
  await f.rooms.post('r', 3);
  const left = await f.rooms.append('r', { type: 'member.left', userId: 'u' }, false); // stored, not yet on the bus
  f.rooms.staleMembers.add('u');
  const c = await f.connect('u');
  t.match(await c.subscribe('r'), { type: 'subscribed', lastSeq: left.seq });
  await f.rooms.publish(left);
  t.match(await c.next((x) => x.type === 'unsubscribed'), { roomId: 'r', reason: 'removed' });
  await f.rooms.post('r', 2);
  await sleep(100);
  t.same(c.queue.filter((x) => x.type === 'event'), [], 'nothing after');
});

t.test('subscribing again past a removal the subscription knows of: unsubscribed, then NOT_FOUND', async (t) => {
  const f = await wsFixture(t, slowReplay);
  f.rooms.create('r', ['u', 'v']);
  await f.rooms.post('r', 30);
  const c = await f.connect('u');
  await c.subscribe('r', 0);
  await c.eventsUntil('r', 3);
  const left = await f.rooms.append('r', { type: 'member.left', userId: 'u' });
  await f.rooms.post('r', 2);
  await sleep(20);
  t.match(await c.subscribe('r', left.seq + 1), { type: 'error', code: 'NOT_FOUND' });
  t.match(await c.next((x) => x.type === 'unsubscribed'), { reason: 'removed' });
  t.ok(c.received.every((x) => x.type !== 'event' || x.seq <= left.seq), 'nothing after the removal');
});
