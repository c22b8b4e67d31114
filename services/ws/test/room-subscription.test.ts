import t from 'tap';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { RoomSubscription } from '../src/room-subscription';

const ev = (seq: number) => ({ seq, type: 'member.left', roomId: 'r', actorId: 'a', occurredAt: '', userId: 'u' }) as TimelineEvent;

function store(last: number, failFirst = 0) {
  let failures = failFirst;
  return async (_roomId: string, after: number, limit: number) => {
    if (failures-- > 0) throw new Error('store down');
    const items = [];
    for (let s = after + 1; s <= Math.min(last, after + limit); s++) items.push(ev(s));
    return { items, hasMore: after + limit < last };
  };
}

t.test('replays from the store, then takes live events in order, each seq once', async (t) => {
  const sent: number[] = [];
  const sub = new RoomSubscription('r', 0, { sendEvent: (e) => (sent.push(e.seq), true), drained: async () => true }, store(450));
  await sub.catchUp();
  sub.onLive(ev(450));
  sub.onLive(ev(451));
  sub.onLive(ev(451));
  t.same(sent, Array.from({ length: 451 }, (_, i) => i + 1));
});

t.test('a live event past a gap fetches the gap from the store', async (t) => {
  const sent: number[] = [];
  const sub = new RoomSubscription('r', 3, { sendEvent: (e) => (sent.push(e.seq), true), drained: async () => true }, store(6));
  sub.onLive(ev(6));
  await new Promise((r) => setTimeout(r, 20));
  t.same(sent, [4, 5, 6]);
});

t.test('a store outage is retried; nothing is lost', async (t) => {
  const sent: number[] = [];
  const sub = new RoomSubscription('r', 0, { sendEvent: (e) => (sent.push(e.seq), true), drained: async () => true }, store(3, 2));
  await sub.catchUp();
  t.same(sent, [1, 2, 3]);
});

t.test('nothing is sent once closed, even from a replay page in flight', async (t) => {
  const sent: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sub = new RoomSubscription('r', 0, { sendEvent: (e) => (sent.push(e.seq), true), drained: async () => { await gate; return true; } }, store(5));
  const replay = sub.catchUp();
  await new Promise((r) => setTimeout(r, 10));
  sub.close();
  release();
  await replay;
  t.same(sent, []);
});
