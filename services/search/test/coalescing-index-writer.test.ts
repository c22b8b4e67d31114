// Group commit for the search index: partition batches that arrive together, or while a `_bulk` is in
// flight, become one applyBatch; each caller gets back only its own refused events, and a failed merged
// call fails every caller in it (each retries its own batch).
import t from 'tap';
import { PoisonEventError } from '@chat/shared/kernel/errors';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { CoalescingIndexWriter } from '../src/coalescing-index-writer';
import type { IndexFailure } from '../src/es-message-index';

const ev = (roomId: string, seq: number) => ({ type: 'message.deleted', roomId, seq, messageId: `${roomId}-${seq}` }) as unknown as TimelineEvent;
const batch = (roomId: string, n: number) => Array.from({ length: n }, (_, i) => ev(roomId, i + 1));
const key = (e: TimelineEvent) => `${e.roomId}-${e.seq}`;

/** An applyBatch that records each call, refuses events whose key is in `poison`, and answers when released. */
function fakeIndex(poison: Set<string> = new Set()) {
  const calls: string[][] = [];
  const gates: Array<(fail?: Error) => void> = [];
  const applyBatch = (events: readonly TimelineEvent[]) =>
    new Promise<IndexFailure[]>((resolve, reject) => {
      calls.push(events.map(key));
      gates.push((fail) => (fail ? reject(fail) : resolve(events.flatMap((e, index) => (poison.has(key(e)) ? [{ index, error: new PoisonEventError(key(e)) }] : [])))));
    });
  const release = async (fail?: Error) => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!(fail);
  };
  return { calls, applyBatch, release };
}

t.test('batches started in one turn are one call; each caller gets its own refusals at its own positions', async (t) => {
  const index = fakeIndex(new Set(['b-2', 'c-1']));
  const writer = new CoalescingIndexWriter(index.applyBatch);
  const answers = Promise.all([writer.apply(batch('a', 2)), writer.apply(batch('b', 3)), writer.apply(batch('c', 1))]);
  await index.release();
  const [a, b, c] = await answers;
  t.same(index.calls, [['a-1', 'a-2', 'b-1', 'b-2', 'b-3', 'c-1']], 'one merged call, each batch in its order');
  t.same(a, []);
  t.same(b.map((f) => f.index), [1], "b's second event, at its position in b");
  t.same(c.map((f) => f.index), [0]);
  t.ok(b[0]!.error instanceof PoisonEventError);
});

t.test('batches arriving while a call is in flight wait and go together in the next; one call at a time', async (t) => {
  const index = fakeIndex();
  const writer = new CoalescingIndexWriter(index.applyBatch);
  const first = writer.apply(batch('a', 1));
  while (index.calls.length === 0) await new Promise((r) => setImmediate(r));
  const later = [writer.apply(batch('b', 1)), writer.apply(batch('c', 2))];
  await new Promise((r) => setTimeout(r, 20));
  t.equal(index.calls.length, 1, 'nothing else sent while the first call is in flight');
  await index.release();
  await first;
  await index.release();
  await Promise.all(later);
  t.same(index.calls, [['a-1'], ['b-1', 'c-1', 'c-2']]);
});

t.test('a failed merged call fails every caller in it, and the writer goes on', async (t) => {
  const index = fakeIndex();
  const writer = new CoalescingIndexWriter(index.applyBatch);
  const answers = [writer.apply(batch('a', 1)), writer.apply(batch('b', 1))].map((p) => p.then(() => 'ok', (e: Error) => e.message));
  await index.release(new Error('503 from Elasticsearch'));
  t.same(await Promise.all(answers), ['503 from Elasticsearch', '503 from Elasticsearch']);
  const again = writer.apply(batch('a', 1));
  await index.release();
  t.same(await again, []);
  t.equal(index.calls.length, 2);
});

t.test('a merged call takes at most maxEvents events; one larger batch still goes, alone', async (t) => {
  const index = fakeIndex();
  const writer = new CoalescingIndexWriter(index.applyBatch, 4);
  const answers = Promise.all([writer.apply(batch('a', 3)), writer.apply(batch('b', 2)), writer.apply(batch('c', 6)), writer.apply(batch('d', 1))]);
  for (let i = 0; i < 4; i++) await index.release();
  await answers;
  t.same(index.calls.map((c) => c.length), [3, 2, 6, 1], 'a(3) alone (b would make 5), b(2) alone (c would make 8), c(6) alone, d(1)');
});
