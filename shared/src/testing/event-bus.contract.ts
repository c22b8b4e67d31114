import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { BatchFailure, EventBus } from '../events/event-bus';
import type { EventEnvelope } from '../events/event-envelope';
import { PoisonEventError } from '../kernel/errors';

/**
 * The contract every EventBus adapter passes unchanged (in-memory now, Kafka
 * in Phase 3). Each case uses fresh keys and groups and ignores events that
 * are not its own, so it can run against a shared, long-lived broker.
 */
export type EventBusFactory = () => Promise<EventBus>;

function makeEvent(key: string, n: number, type = 'message.posted'): EventEnvelope<{ n: number }> {
  return { id: randomUUID(), type, version: 1, key, occurredAt: new Date().toISOString(), payload: { n } };
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function eventBusContract(t: Test, factory: EventBusFactory, timeoutMs = 20_000): void {
  t.test('delivers every event, in publish order per key', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    const seen = new Map<string, number[]>(keys.map((k) => [k, []]));
    await bus.subscribe({
      group: `g-${randomUUID()}`,
      topics: ['room'],
      handler: async (e) => void seen.get(e.key)?.push((e.payload as { n: number }).n),
    });
    const events = [];
    for (let n = 1; n <= 30; n++) for (const key of keys) events.push(makeEvent(key, n));
    await bus.publish(events);
    await waitFor(() => [...seen.values()].every((s) => s.length >= 30), timeoutMs, 'all events');
    for (const key of keys) t.same(seen.get(key), Array.from({ length: 30 }, (_, i) => i + 1), 'ordered per key');
  });

  t.test('fromLatest: a new group skips what came before, and gets everything published once subscribe() resolved', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    await bus.publish([makeEvent(key, 0)]);
    const seen: number[] = [];
    await bus.subscribe({ group: `g-${randomUUID()}`, topics: ['room'], fromLatest: true, handler: async (e) => void (e.key === key && seen.push((e.payload as { n: number }).n)) });
    await bus.publish([makeEvent(key, 1), makeEvent(key, 2)]);
    await waitFor(() => seen.length >= 2, timeoutMs, 'the events published after subscribe');
    t.same(seen, [1, 2], 'the earlier event skipped; the later ones once, in order');
  });

  t.test('only the subscribed topics reach a subscription', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    const types: string[] = [];
    await bus.subscribe({
      group: `g-${randomUUID()}`,
      topics: ['user'],
      handler: async (e) => void (e.key === key && types.push(e.type)),
    });
    await bus.publish([makeEvent(key, 1, 'message.posted'), makeEvent(key, 2, 'user.registered')]);
    await waitFor(() => types.length >= 1, timeoutMs, 'user event');
    await new Promise((r) => setTimeout(r, 200));
    t.same(types, ['user.registered']);
  });

  t.test('groups are independent: a stuck group does not hold back another', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fast: number[] = [];
    const slow: number[] = [];
    await bus.subscribe({
      group: `slow-${randomUUID()}`,
      topics: ['room'],
      handler: async (e) => {
        if (e.key !== key) return;
        await gate;
        slow.push((e.payload as { n: number }).n);
      },
    });
    await bus.subscribe({
      group: `fast-${randomUUID()}`,
      topics: ['room'],
      handler: async (e) => void (e.key === key && fast.push((e.payload as { n: number }).n)),
    });
    await bus.publish([1, 2, 3].map((n) => makeEvent(key, n)));
    await waitFor(() => fast.length >= 3, timeoutMs, 'fast group');
    t.same(fast, [1, 2, 3]);
    t.equal(slow.length, 0, 'slow group still waiting');
    release();
    await waitFor(() => slow.length >= 3, timeoutMs, 'slow group');
    t.same(slow, [1, 2, 3]);
  });

  t.test('a failing handler is retried and order per key is kept', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    const seen: number[] = [];
    let failures = 0;
    await bus.subscribe({
      group: `g-${randomUUID()}`,
      topics: ['room'],
      maxAttempts: 5,
      handler: async (e) => {
        if (e.key !== key) return;
        const n = (e.payload as { n: number }).n;
        if (n === 2 && failures < 2) {
          failures++;
          throw new Error('transient');
        }
        seen.push(n);
      },
    });
    await bus.publish([1, 2, 3].map((n) => makeEvent(key, n)));
    await waitFor(() => seen.length >= 3, timeoutMs, 'retried delivery');
    t.equal(failures, 2);
    t.same(seen, [1, 2, 3]);
  });

  t.test('an event that fails deterministically goes to the dead letters; the key moves on', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    const group = `g-${randomUUID()}`;
    const seen: number[] = [];
    await bus.subscribe({
      group,
      topics: ['room'],
      maxAttempts: 3,
      handler: async (e) => {
        if (e.key !== key) return;
        const n = (e.payload as { n: number }).n;
        if (n === 1) throw new PoisonEventError('poison');
        seen.push(n);
      },
    });
    const events = [1, 2].map((n) => makeEvent(key, n));
    await bus.publish(events);
    await waitFor(() => seen.length >= 1, timeoutMs, 'event after poison');
    t.same(seen, [2]);
    const dead = bus.deadLetters().filter((d) => d.group === group);
    t.equal(dead.length, 1);
    t.equal(dead[0]?.event.id, events[0]!.id);
    t.ok(dead[0]!.attempts >= 1 && dead[0]!.attempts <= 3, 'at most maxAttempts attempts (Kafka: one)');
    t.match(dead[0]?.error, /poison/);
  });

  t.test('a closed subscription receives nothing more', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    const seen: number[] = [];
    const sub = await bus.subscribe({
      group: `g-${randomUUID()}`,
      topics: ['room'],
      handler: async (e) => void (e.key === key && seen.push((e.payload as { n: number }).n)),
    });
    await bus.publish([makeEvent(key, 1)]);
    await waitFor(() => seen.length >= 1, timeoutMs, 'first event');
    await sub.close();
    await bus.publish([makeEvent(key, 2)]);
    await new Promise((r) => setTimeout(r, 300));
    t.same(seen, [1]);
  });

  t.test('handleBatch: every event arrives through it, in order per key, several at a time; handler is not called', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const keys = [randomUUID(), randomUUID()];
    const seen = new Map<string, number[]>(keys.map((k) => [k, []]));
    let largest = 0;
    let perEvent = 0;
    await bus.subscribe({
      group: `g-${randomUUID()}`,
      topics: ['room'],
      handler: async () => void perEvent++,
      handleBatch: async (events) => {
        const mine = events.filter((e) => seen.has(e.key));
        largest = Math.max(largest, mine.length);
        for (const e of mine) seen.get(e.key)!.push((e.payload as { n: number }).n);
      },
    });
    const events = [];
    for (let n = 1; n <= 20; n++) for (const key of keys) events.push(makeEvent(key, n));
    await bus.publish(events);
    await waitFor(() => [...seen.values()].every((s) => s.length >= 20), timeoutMs, 'all events');
    for (const key of keys) t.same(seen.get(key), Array.from({ length: 20 }, (_, i) => i + 1), 'ordered per key');
    t.equal(perEvent, 0, 'the per-event handler was not used');
    t.ok(largest > 1, `a batch held several events (largest ${largest})`);
  });

  t.test('handleBatch: a returned failure dead-letters that event alone; the rest is done once', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    const group = `g-${randomUUID()}`;
    const seen: number[] = [];
    await bus.subscribe({
      group,
      topics: ['room'],
      maxAttempts: 3,
      handler: async () => {
        throw new Error('the per-event fallback must not be used');
      },
      handleBatch: async (events) => {
        const failures: BatchFailure[] = [];
        for (const e of events) {
          if (e.key !== key) continue;
          const n = (e.payload as { n: number }).n;
          if (n === 2) failures.push({ event: e, error: new PoisonEventError('poison 2') });
          else seen.push(n);
        }
        return failures;
      },
    });
    const events = [1, 2, 3].map((n) => makeEvent(key, n));
    await bus.publish(events);
    await waitFor(() => seen.length >= 2 && bus.deadLetters().some((d) => d.group === group), timeoutMs, 'batch and dead letter');
    await new Promise((r) => setTimeout(r, 200));
    t.same(seen, [1, 3]);
    const dead = bus.deadLetters().filter((d) => d.group === group);
    t.equal(dead.length, 1);
    t.equal(dead[0]?.event.id, events[1]!.id);
    t.match(dead[0]?.error, /poison 2/);
  });

  t.test('handleBatch: a transient throw retries the whole batch, order kept', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    const seen: number[] = [];
    let failures = 0;
    await bus.subscribe({
      group: `g-${randomUUID()}`,
      topics: ['room'],
      maxAttempts: 5,
      handler: async () => {
        throw new Error('the per-event fallback must not be used');
      },
      handleBatch: async (events) => {
        const mine = events.filter((e) => e.key === key).map((e) => (e.payload as { n: number }).n);
        if (mine.includes(2) && failures < 2) {
          failures++;
          throw new Error('transient');
        }
        seen.push(...mine);
      },
    });
    await bus.publish([1, 2, 3].map((n) => makeEvent(key, n)));
    await waitFor(() => seen.length >= 3, timeoutMs, 'retried batch');
    t.equal(failures, 2);
    t.same(seen, [1, 2, 3]);
  });

  t.test('handleBatch: a deterministic throw falls back to handler, which isolates the poison event', async (t) => {
    const bus = await factory();
    t.teardown(() => bus.close());
    const key = randomUUID();
    const group = `g-${randomUUID()}`;
    const seen: number[] = [];
    await bus.subscribe({
      group,
      topics: ['room'],
      maxAttempts: 2,
      handler: async (e) => {
        if (e.key !== key) return;
        const n = (e.payload as { n: number }).n;
        if (n === 2) throw new PoisonEventError('poison 2');
        seen.push(n);
      },
      handleBatch: async (events) => {
        if (events.some((e) => e.key === key)) throw new PoisonEventError('somewhere in this batch');
      },
    });
    const events = [1, 2, 3].map((n) => makeEvent(key, n));
    await bus.publish(events);
    await waitFor(() => seen.length >= 2, timeoutMs, 'per-event fallback');
    t.same(seen, [1, 3]);
    const dead = bus.deadLetters().filter((d) => d.group === group);
    t.equal(dead.length, 1);
    t.equal(dead[0]?.event.id, events[1]!.id);
  });
}
