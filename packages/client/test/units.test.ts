import t from 'tap';
import { backoffDelay } from '../src/backoff';
import { SeqTracker } from '../src/seq-tracker';
import { EventQueue } from '../src/event-queue';
import { newClientMsgId } from '../src/ids';

t.test('backoff grows exponentially, is capped, and jitter stays within [base*(1-jitter), base]', async (t) => {
  const o = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.5 };
  // random() = 0: the full base; random() = 1: base * (1 - jitter).
  t.same([0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, o, () => 0)), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  t.same([0, 1, 2, 6].map((n) => backoffDelay(n, o, () => 1)), [50, 100, 200, 2500]);
  t.equal(backoffDelay(10_000, o, () => 0), 5000, 'huge attempt numbers stay at the cap (no Infinity/NaN)');
  const outside: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < 1200; i++) {
    const n = i % 12;
    const d = backoffDelay(n, o);
    seen.add(d);
    const base = Math.min(5000, 100 * 2 ** n);
    if (!(d >= base * 0.5 - 1 && d <= base)) outside.push(`attempt ${n}: ${d}`);
  }
  t.same(outside, [], 'with Math.random every delay is within its band');
  t.ok(seen.size > 100, `jitter spreads the delays (${seen.size} distinct values)`);
  t.equal(backoffDelay(3, { ...o, jitter: 0 }, () => 0.9), 800, 'no jitter: exact');
  t.equal(backoffDelay(3, { ...o, jitter: 1 }, () => 1), 0, 'full jitter can be 0');
});

t.test('SeqTracker: never delivers a seq at or below the last delivered, reports gaps', async (t) => {
  const s = new SeqTracker();
  t.equal(s.lastSeq('r'), undefined);
  s.start('r', 5);
  t.equal(s.offer('r', 5), 'duplicate');
  t.equal(s.offer('r', 3), 'duplicate');
  t.equal(s.offer('r', 6), 'deliver');
  t.equal(s.offer('r', 6), 'duplicate');
  t.equal(s.offer('r', 8), 'gap', 'seq 7 missing');
  t.equal(s.lastSeq('r'), 6, 'a gap does not move the mark');
  t.equal(s.offer('r', 7), 'deliver');
  s.start('r', 2);
  t.equal(s.lastSeq('r'), 7, 'start() never moves a known mark back');
  t.equal(s.offer('other', 40), 'deliver', 'rooms are independent; no mark yet: delivered');
  s.forget('r');
  t.equal(s.lastSeq('r'), undefined);
});

t.test('EventQueue: ordered, waits for items, ends, and overflows with an error instead of dropping', async (t) => {
  const q = new EventQueue<number>(3);
  q.push(1);
  q.push(2);
  const got: number[] = [];
  setTimeout(() => {
    q.push(3);
    q.end();
  }, 20);
  for await (const v of q) got.push(v);
  t.same(got, [1, 2, 3]);
  t.equal(q.push(4), false, 'push after end is refused');

  const small = new EventQueue<number>(2);
  t.ok(small.push(1) && small.push(2));
  t.equal(small.push(3), false, 'third item overflows');
  const seen: number[] = [];
  await t.rejects(
    (async () => {
      for await (const v of small) seen.push(v);
    })(),
    { name: 'ChatApiError', code: 'BUFFER_OVERFLOW' },
  );
  t.same(seen, [1, 2], 'the buffered items come first, then the error');

  let ended = 0;
  const q2 = new EventQueue<number>(5, () => ended++);
  q2.push(1);
  for await (const _ of q2) break;
  t.equal(ended, 1, 'break ends the queue (and unregisters it)');
});

t.test('newClientMsgId: a UUID, different each time, within the 64-character limit', async (t) => {
  const ids = new Set(Array.from({ length: 100 }, () => newClientMsgId()));
  t.equal(ids.size, 100);
  t.same([...ids].filter((id) => !/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)), []);
});
