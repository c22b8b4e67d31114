import t from 'tap';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { UserReplayBudget, type ReplayLimits } from '../src/replay-budget';
import { ReplayScheduler } from '../src/replay-scheduler';
import { RoomSubscription, type SubscriptionSink } from '../src/room-subscription';

const ev = (seq: number, size = 0) => ({ seq, type: 'member.left', roomId: 'r', actorId: 'a', occurredAt: '', userId: 'x'.repeat(size) }) as TimelineEvent;

const roomy: ReplayLimits = { pageBytes: 256 * 1024, maxPageEvents: 200, socketBytesPerSecond: 1e12, userBytesPerSecond: 1e12, userMsPerSecond: 1e9, userReadsInFlight: 2 };

/** A store of events 1..last (of `size` bytes each) that counts its reads. */
function store(last: number, opts: { failFirst?: number; size?: number } = {}) {
  let failures = opts.failFirst ?? 0;
  const reads: Array<{ after: number; limit: number }> = [];
  const read = async (_roomId: string, after: number, limit: number) => {
    reads.push({ after, limit });
    if (failures-- > 0) throw new Error('store down');
    const items = [];
    for (let s = after + 1; s <= Math.min(last, after + limit); s++) items.push(ev(s, opts.size));
    return { items, hasMore: after + limit < last };
  };
  return { read, reads, grow: (n: number) => (last = n) };
}

/** A socket: records what it is sent; `drained` answers per `isDrained`. */
function socket(isDrained: () => boolean | Promise<boolean> = () => true) {
  const sent: number[] = [];
  const ended: string[] = [];
  const sink: SubscriptionSink = { sendEvent: (e) => (sent.push(e.seq), true), drained: async () => isDrained(), ended: (_sub, reason) => void ended.push(reason) };
  return { sent, sink, ended };
}

function scheduler(sink: SubscriptionSink, read: ReturnType<typeof store>['read'], limits = roomy, user = new UserReplayBudget(limits)) {
  return new ReplayScheduler(sink, user, limits, read, (e) => JSON.stringify(e).length, (err) => t.fail(String(err)));
}

/** Waits until the scheduler has nothing left to do. */
async function settled(s: ReplayScheduler): Promise<void> {
  do await new Promise((r) => setTimeout(r, 5));
  while (s.busy);
}

t.test('replays from the store, then takes live events in order, each seq once', async (t) => {
  const { sent, sink } = socket();
  const st = store(450);
  const replays = scheduler(sink, st.read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(0, 450);
  await settled(replays);
  sub.onLive(ev(450));
  sub.onLive(ev(451));
  sub.onLive(ev(451));
  t.same(sent, Array.from({ length: 451 }, (_, i) => i + 1));
});

t.test('live events during a replay are read from the store after it: in order, no gaps, no repeats', async (t) => {
  const { sent, sink } = socket();
  const st = store(300);
  const replays = scheduler(sink, st.read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(0, 300);
  for (let s = 301; s <= 320; s++) {
    st.grow(s);
    sub.onLive(ev(s));
    await new Promise((r) => setImmediate(r));
  }
  await settled(replays);
  t.same(sent, Array.from({ length: 320 }, (_, i) => i + 1));
});

t.test('live events while pending are noted and filled in from the store', async (t) => {
  const { sent, sink } = socket();
  const st = store(7);
  const replays = scheduler(sink, st.read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.onLive(ev(6));
  sub.onLive(ev(7));
  sub.start(5, 5); // lastSeq was read as 5, and no sinceSeq: from 6 on
  await settled(replays);
  t.same(sent, [6, 7]);
});

t.test('a live event past a gap fetches the gap from the store', async (t) => {
  const { sent, sink } = socket();
  const replays = scheduler(sink, store(6).read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(3, 3);
  sub.onLive(ev(6));
  await settled(replays);
  t.same(sent, [4, 5, 6]);
});

t.test('a store outage is retried; nothing is lost', async (t) => {
  const { sent, sink } = socket();
  const replays = scheduler(sink, store(3, { failFirst: 2 }).read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(0, 3);
  await new Promise((r) => setTimeout(r, 500));
  await settled(replays);
  t.same(sent, [1, 2, 3]);
});

t.test('nothing is sent once closed, even from a replay page in flight', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let first = true;
  const { sent, sink } = socket(async () => {
    if (first) return !(first = false); // the scheduler's check before reading
    await gate;
    return true;
  });
  const replays = scheduler(sink, store(5).read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(0, 5);
  await new Promise((r) => setTimeout(r, 10));
  sub.close();
  release();
  await settled(replays);
  t.same(sent, []);
});

t.test('no store read while the socket is not draining; reading resumes when it drains', async (t) => {
  let draining = false;
  let drain!: () => void;
  const { sent, sink } = socket(() => draining || new Promise<boolean>((r) => (drain = () => r((draining = true)))));
  const st = store(100);
  const replays = scheduler(sink, st.read);
  const subs = ['a', 'b', 'c'].map((room) => RoomSubscription.pending(room, 'u', sink, replays));
  for (const sub of subs) sub.start(0, 100);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(st.reads.length, 0, 'three subscriptions wanting pages, no read');
  drain();
  await settled(replays);
  t.equal(sent.length, 300, 'all three replayed once it drained');
});

t.test('subscribing again at or behind the position reads nothing and sends nothing twice', async (t) => {
  const { sent, sink } = socket();
  const st = store(40);
  const replays = scheduler(sink, st.read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(0, 40);
  await settled(replays);
  const reads = st.reads.length;
  for (const at of [0, 5, 40, sub.head]) sub.moveTo(at);
  await settled(replays);
  t.equal(st.reads.length, reads, 'no new read');
  t.same(sent, Array.from({ length: 40 }, (_, i) => i + 1), 'each event once');
  t.equal(sub.head, 40);
  sub.moveTo(1000);
  t.equal(sub.position, 40, 'never past what is known to exist');
});

t.test('subscribing again ahead of the position skips forward within the replay under way', async (t) => {
  const { sent, sink } = socket();
  const st = store(100);
  const limits = { ...roomy, maxPageEvents: 10 };
  const replays = scheduler(sink, st.read, limits);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(0, 100);
  sub.moveTo(50);
  await settled(replays);
  t.same(sent, Array.from({ length: 50 }, (_, i) => i + 51));
  t.ok(st.reads.every((r) => r.after === 0 || r.after >= 50), `no page before 50 but the one under way (${st.reads.map((r) => r.after).join(',')})`);
});

t.test('pages are smaller when events are large', async (t) => {
  const { sink } = socket();
  const st = store(400, { size: 16_000 });
  const limits = { ...roomy, pageBytes: 64 * 1024 };
  const replays = scheduler(sink, st.read, limits);
  RoomSubscription.pending('r', 'u', sink, replays).start(0, 400);
  await settled(replays);
  const limitsAfterFirst = st.reads.slice(1).map((r) => r.limit);
  t.ok(limitsAfterFirst.every((l) => l <= 4), `about 64 KiB a page: ${limitsAfterFirst.slice(0, 5).join(',')}`);
  const small = store(400);
  const replays2 = scheduler(sink, small.read, limits);
  RoomSubscription.pending('r', 'u', sink, replays2).start(0, 400);
  await settled(replays2);
  t.equal(small.reads.at(-1)!.limit, 200, 'small events: the most a page holds');
});

t.test('the socket byte budget paces a replay: delayed, never refused', async (t) => {
  const { sent, sink } = socket();
  const st = store(60, { size: 1000 }); // ~1.1 KB frames: ~66 KB in all
  const limits = { ...roomy, pageBytes: 8 * 1024, socketBytesPerSecond: 32 * 1024 };
  const replays = scheduler(sink, st.read, limits);
  const started = Date.now();
  RoomSubscription.pending('r', 'u', sink, replays).start(0, 60);
  await new Promise((r) => setTimeout(r, 100));
  t.ok(sent.length < 60, `not all at once (${sent.length} after 100 ms)`);
  t.ok(sent.length > 0, 'the first pages at once');
  await settled(replays);
  t.equal(sent.length, 60, 'all of it in the end');
  t.ok(Date.now() - started >= 500, `about a second later (${Date.now() - started} ms)`);
});

t.test('one user\'s budget is shared by the user\'s sockets', async (t) => {
  const limits = { ...roomy, pageBytes: 8 * 1024, userBytesPerSecond: 32 * 1024 };
  const user = new UserReplayBudget(limits);
  const a = socket();
  const b = socket();
  const st = store(30, { size: 1000 }); // ~33 KB per socket
  const ra = scheduler(a.sink, st.read, limits, user);
  const rb = scheduler(b.sink, st.read, limits, user);
  RoomSubscription.pending('r', 'u', a.sink, ra).start(0, 30);
  RoomSubscription.pending('r', 'u', b.sink, rb).start(0, 30);
  await new Promise((r) => setTimeout(r, 300));
  t.ok(a.sent.length + b.sent.length < 60, `two sockets together are held to the user's rate (${a.sent.length}+${b.sent.length} after 300 ms)`);
  await settled(ra);
  await settled(rb);
  t.equal(a.sent.length + b.sent.length, 60, 'both complete');
});

/** A store whose event `at` is the subscriber's member.left (or room.deleted). */
function storeEndingAt(last: number, at: number, type: 'member.left' | 'room.deleted') {
  const st = store(last);
  const read = async (roomId: string, after: number, limit: number) => {
    const page = await st.read(roomId, after, limit);
    return { ...page, items: page.items.map((e) => (e.seq === at ? ({ ...e, type, userId: 'u' } as TimelineEvent) : e)) };
  };
  return { ...st, read };
}

t.test('a replay stops at the subscriber\'s member.left: delivered, then ended once, nothing after', async (t) => {
  const { sent, sink, ended } = socket();
  const replays = scheduler(sink, storeEndingAt(40, 25, 'member.left').read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(0, 40);
  await settled(replays);
  sub.onLive(ev(41));
  t.same(sent, Array.from({ length: 25 }, (_, i) => i + 1));
  t.same(ended, ['removed']);
  t.ok(sub.closed);
});

t.test('a replay stops before room.deleted, which is not delivered', async (t) => {
  const { sent, sink, ended } = socket();
  const replays = scheduler(sink, storeEndingAt(12, 10, 'room.deleted').read);
  RoomSubscription.pending('r', 'u', sink, replays).start(0, 12);
  await settled(replays);
  t.same(sent, Array.from({ length: 9 }, (_, i) => i + 1));
  t.same(ended, ['room.deleted']);
});

t.test('another member\'s member.left is an ordinary event', async (t) => {
  const { sent, sink, ended } = socket();
  const replays = scheduler(sink, store(5).read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.start(5, 5);
  sub.onLive({ ...ev(6), userId: 'someone else' } as TimelineEvent);
  sub.onLive(ev(7));
  t.same(sent, [6, 7]);
  t.same(ended, []);
});

t.test('a pending subscription notes a removal but ends only once started past it', async (t) => {
  const { sent, sink, ended } = socket();
  const replays = scheduler(sink, storeEndingAt(8, 6, 'member.left').read);
  const sub = RoomSubscription.pending('r', 'u', sink, replays);
  sub.onLive({ ...ev(6), userId: 'u' } as TimelineEvent);
  t.same(ended, [], 'pending: nothing said yet');
  t.ok(sub.endsBy(6) && !sub.endsBy(5), 'it knows where the view ends');
  sub.start(3, 8);
  await settled(replays);
  t.same(sent, [4, 5, 6]);
  t.same(ended, ['removed']);
});

t.test("a member's own older member.left, arriving live after start, ends the view only if the store says they did not come back", async (t) => {
  const left = { seq: 5, type: 'member.left', roomId: 'r', actorId: 'a', occurredAt: '', userId: 'u' } as TimelineEvent;
  for (const back of [true, false]) {
    const { sent, sink, ended } = socket();
    const replays = scheduler(sink, store(6).read);
    const sub = RoomSubscription.pending('r', 'u', sink, replays);
    const asked: Array<[number, number]> = [];
    sub.start(6, 6, async (l, upTo) => (asked.push([l, upTo]), back));
    sub.onLive(left);
    await new Promise((r) => setTimeout(r, 5));
    sub.onLive(ev(7));
    t.same(asked, [[5, 6]], 'the store is asked from the removal to the lastSeq of the subscribe');
    t.same(ended, back ? [] : ['removed'], back ? 'added back: goes on' : 'not back: ended');
    t.same(sent, back ? [7] : [], back ? 'and gets the next event' : 'and gets nothing more');
  }
});
