import t from 'tap';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { RoomChannelHandlers, RoomChannels, RoomEventPublisher } from '@chat/shared/fanout/room-fanout';
import { UnavailableError } from '@chat/shared/kernel/errors';
import { sleep, wsFixture } from './support/ws-fixture';

// Room events over room channels (ADR 0011): only watched rooms, losses repaired from the store.

const seqs = (frames: Array<{ seq: number }>) => frames.map((f) => f.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Room channels in memory, as Redis pub/sub behaves: only watched rooms get events, and any may be dropped. */
class MemoryChannels implements RoomChannels, RoomEventPublisher {
  readonly watched = new Set<string>();
  readonly history: string[] = [];
  /** Publishes of room events to drop from now on. */
  drop = 0;
  private handlers: RoomChannelHandlers | undefined;

  async publish(events: readonly TimelineEvent[]): Promise<void> {
    for (const e of events) {
      if (e.type === 'member.left' || e.type === 'room.deleted') this.handlers?.departure(e);
      if (this.drop > 0) {
        this.drop--;
        continue;
      }
      if (this.watched.has(e.roomId)) this.handlers?.event(e);
    }
  }
  async start(h: RoomChannelHandlers): Promise<void> {
    this.handlers = h;
  }
  watch(roomId: string): void {
    this.watched.add(roomId);
    this.history.push(`+${roomId}`);
  }
  unwatch(roomId: string): void {
    this.watched.delete(roomId);
    this.history.push(`-${roomId}`);
  }
  ready(): Promise<void> {
    return Promise.resolve();
  }
  async stop(): Promise<void> {}
  /** The subscriber connection came back: every watched room may have lost events. */
  reconnected(): void {
    this.handlers?.lost([...this.watched]);
  }
}

async function fixture(t: Parameters<typeof wsFixture>[0]) {
  const channels = new MemoryChannels();
  const f = await wsFixture(t, {}, { fanout: { channels, publisher: channels } });
  return { ...f, channels };
}

t.test('a room channel is watched from its first watcher here until its last one leaves', async (t) => {
  const f = await fixture(t);
  f.rooms.create('r', ['u', 'v']);
  f.rooms.create('s', ['u']);
  const u = await f.connect('u');
  const v = await f.connect('v');
  await u.subscribe('r');
  await v.subscribe('r');
  t.same([...f.channels.watched], ['r'], 'only the subscribed room');
  u.send({ type: 'unsubscribe', roomId: 'r' });
  await u.next((x) => x.type === 'unsubscribed');
  t.same([...f.channels.watched], ['r'], 'still watched by v');
  v.terminate();
  await sleep(50);
  t.same([...f.channels.watched], [], 'the last watcher left');
  t.same(f.channels.history, ['+r', '-r']);
});

t.test('room events of unwatched rooms are not received; watched ones are, once each, in order', async (t) => {
  const f = await fixture(t);
  f.rooms.create('r', ['u']);
  f.rooms.create('s', ['u']);
  const c = await f.connect('u');
  await c.subscribe('r');
  await f.rooms.post('s', 5);
  await f.rooms.post('r', 3);
  t.same(seqs(await c.eventsUntil('r', 3)), range(1, 3), 'room r live');
  await sleep(50);
  t.equal(await f.metric('received'), 3, 'received: r\'s 3 events, none of s');
});

t.test('a message dropped in the middle shows as a gap: caught up from the store, no repeat', async (t) => {
  const f = await fixture(t);
  f.rooms.create('r', ['u']);
  const c = await f.connect('u');
  await c.subscribe('r');
  f.channels.drop = 2;
  await f.rooms.post('r', 5);
  t.same(seqs(await c.eventsUntil('r', 5)), range(1, 5));
  await sleep(50);
  t.same(c.queue.filter((x) => x.type === 'event'), [], 'no repeats');
});

t.test('a message dropped at the end, then a reconnect: caught up from the store', async (t) => {
  const f = await fixture(t);
  f.rooms.create('r', ['u']);
  const c = await f.connect('u');
  await c.subscribe('r');
  await f.rooms.post('r', 2);
  t.same(seqs(await c.eventsUntil('r', 2)), [1, 2]);
  f.channels.drop = 1;
  await f.rooms.post('r', 1);
  await sleep(50);
  t.same(c.queue.filter((x) => x.type === 'event'), [], 'nothing shows the loss yet');
  f.channels.reconnected();
  t.same(seqs(await c.eventsUntil('r', 3)), [3], 'read from the store after the reconnect');
  t.equal(await f.metric('resyncs'), 1);
  await f.rooms.post('r', 1);
  t.same(seqs(await c.eventsUntil('r', 4)), [4], 'then live again');
});

t.test('a reconnect while the store cannot say its head: each subscription reads after its position once it can', async (t) => {
  const f = await fixture(t);
  f.rooms.create('r', ['u']);
  const c = await f.connect('u');
  await c.subscribe('r');
  f.channels.drop = 1;
  await f.rooms.post('r', 1);
  let failing = true;
  f.rooms.before = (method) => {
    if (failing && (method === 'lastSeq' || method === 'eventsAfter')) throw new UnavailableError('message service restarting');
  };
  f.channels.reconnected();
  await sleep(150);
  failing = false;
  t.same(seqs(await c.eventsUntil('r', 1)), [1]);
});

t.test('departures in rooms not watched here are still known (a stale membership answer is refused)', async (t) => {
  const f = await fixture(t);
  f.rooms.create('r', ['u', 'v']);
  const left = await f.rooms.append('r', { type: 'member.left', userId: 'u' } as never, false);
  // The store still says u is a member (a stale cache), but the departure came over the departures channel.
  f.rooms.staleMembers.add('u');
  await f.channels.publish([left]);
  const c = await f.connect('u');
  t.match(await c.subscribe('r'), { type: 'error', code: 'NOT_FOUND' });
});
