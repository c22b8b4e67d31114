// KafkaEventBus against a real broker: the EventBus contract (unchanged) plus
// Kafka-specific behaviour (commit after the handler, rebalance, dead-letter topic).
//
//   eval "$(bash scripts/services.sh up kafka 2>/dev/null)" && npx tap shared/test/kafka-event-bus.test.ts
//
// Every bus uses a fresh topic prefix; the topics are deleted at the end.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, KafkaMessage } from 'kafkajs';
import type { EventEnvelope } from '../src/events/event-envelope';
import { DLQ_HEADERS } from '../src/events/kafka-event-bus';
import { connectKafkaEventBus } from '../src/events/kafka-bus-factory'; // KAFKA_CLIENT picks the client (default kafkajs)
import type { KafkaEventBusOptions } from '../src/events/kafka-event-bus';
import { loadTopicDeclarations } from '../src/events/kafka-topics';
import { eventBusContract } from '../src/testing/event-bus.contract';
import { PoisonEventError } from '../src/kernel/errors';
import { InstrumentedEventBus } from '../src/events/instrumented-event-bus';
import { createMetrics } from '../src/metrics/metrics';
import { within } from './kafka-test-support';

const brokersEnv = process.env.KAFKA_BROKERS;
const skip = brokersEnv ? false : 'KAFKA_BROKERS not set (eval "$(bash scripts/services.sh up kafka)" to run against a broker)';
const brokers = (brokersEnv ?? '').split(',').filter(Boolean);
const runId = randomUUID().slice(0, 8);
const kafkaLogLevel = process.env.KAFKA_TEST_LOG === 'debug' ? logLevel.INFO : logLevel.NOTHING;

const prefixes: string[] = [];
const groups: string[] = [];

function busOptions(prefix: string): KafkaEventBusOptions {
  return {
    brokers,
    clientId: `kafka-event-bus-test-${runId}`,
    topicPrefix: prefix,
    retryBaseMs: 20,
    logLevel: kafkaLogLevel,
    logger: { warn: () => {} },
    consumer: {
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
      joinTimeoutMs: 20_000,
    },
  };
}

function freshPrefix(): string {
  const prefix = `ct-${randomUUID().slice(0, 8)}.`;
  prefixes.push(prefix);
  return prefix;
}

const connectBus = (prefix = freshPrefix()) => connectKafkaEventBus(busOptions(prefix));

function group(name: string): string {
  const g = `${name}-${randomUUID()}`;
  groups.push(g);
  return g;
}

function makeEvent(key: string, n: number, type = 'message.posted'): EventEnvelope<{ n: number }> {
  return { id: randomUUID(), type, version: 1, key, occurredAt: new Date().toISOString(), payload: { n } };
}

const nOf = (e: EventEnvelope) => (e.payload as { n: number }).n;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(20);
  }
}


function plainKafka(): Kafka {
  return new Kafka({ clientId: `kafka-event-bus-test-plain-${runId}`, brokers, logLevel: logLevel.NOTHING });
}

t.teardown(async () => {
  if (!brokersEnv || prefixes.length === 0) return;
  const admin = plainKafka().admin();
  try {
    await within(20_000, 'topic cleanup', (async () => {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((n) => prefixes.some((p) => n.startsWith(p)));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
      await admin.deleteGroups(groups).catch(() => {});
    })());
  } catch {
    // best effort: leftovers only cost disk on a local broker
  } finally {
    await admin.disconnect().catch(() => {});
  }
});

t.test('topics.json declares the families with explicit partitions and a DLQ each', async (t) => {
  const decl = new Map(loadTopicDeclarations().map((d) => [d.name, d]));
  t.equal(decl.get('room')?.partitions, 12);
  t.equal(decl.get('user')?.partitions, 3);
  t.equal(decl.get('signal')?.partitions, 3);
  for (const topic of ['room', 'user', 'signal']) {
    t.ok(decl.get(`${topic}.dlq`), `${topic}.dlq declared`);
    t.equal(decl.get(topic)?.replicationFactor, 1, `${topic}: replication factor 1 locally`);
  }
});

t.test('EventBus contract on Kafka', { skip, timeout: 120_000 }, async (t) => {
  eventBusContract(t, () => connectBus());
});

t.test('Kafka specifics', { skip, timeout: 150_000 }, async (t) => {
  t.test('one publish larger than the broker takes in one request (1 MiB) goes through, in order', async (t) => {
    const prefix = freshPrefix();
    const bus = await connectBus(prefix);
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    const key = randomUUID();
    const text = '서'.repeat(4000); // a 4,000-character message: 12 KB of UTF-8
    const events = Array.from({ length: 200 }, (_, i) => ({ ...makeEvent(key, i + 1), payload: { n: i + 1, text } }));
    await within(60_000, 'publish', bus.publish(events));
    const seen: number[] = [];
    const sub = await bus.subscribe({ group: group('big'), topics: ['room'], handler: async (e) => void seen.push(nOf(e)) });
    t.teardown(() => within(20_000, 'sub close', sub.close()));
    await waitFor('200 events', () => seen.length >= 200, 60_000);
    t.same(seen, events.map((_, i) => i + 1), 'every event once, in order');
  });

  t.test('partitionsConcurrently: batches of many partitions are handled at once (default: three)', async (t) => {
    const bus = await connectBus();
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    // 30 keys: spread over more than five of the twelve partitions (all in fewer is vanishingly unlikely).
    const keys = Array.from({ length: 30 }, () => randomUUID());
    const mine = new Set<string>(keys);
    let running = 0;
    let most = 0;
    let seen = 0;
    const sub = await bus.subscribe({
      group: group('concurrent'),
      topics: ['room'],
      partitionsConcurrently: 12,
      handler: async () => {},
      handleBatch: async (events) => {
        if (!events.some((e) => mine.has(e.key))) return;
        running++;
        most = Math.max(most, running);
        // Hold each batch until five run together (or 3 s): three at a time never gets there.
        const start = Date.now();
        while (most < 5 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
        running--;
        seen += events.filter((e) => mine.has(e.key)).length;
      },
    });
    t.teardown(() => within(20_000, 'sub close', sub.close()));
    await bus.publish(keys.map((k) => makeEvent(k, 1)));
    await waitFor('every event', () => seen >= keys.length, 30_000);
    t.ok(most >= 5, `${most} partition batches handled at once`);
  });

  t.test('lingerMs: a batch waits that long before it is handled, and nothing is lost or repeated', async (t) => {
    const bus = await connectBus();
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    const key = randomUUID();
    const arrived: { n: number; at: number }[] = [];
    const sub = await bus.subscribe({
      group: group('linger'),
      topics: ['room'],
      lingerMs: 400,
      handler: async () => {},
      handleBatch: async (events) => {
        for (const e of events) if (e.key === key) arrived.push({ n: nOf(e), at: Date.now() });
      },
    });
    t.teardown(() => within(20_000, 'sub close', sub.close()));
    const published = Date.now();
    await bus.publish([makeEvent(key, 1), makeEvent(key, 2), makeEvent(key, 3)]);
    await waitFor('three events', () => arrived.length >= 3, 30_000);
    t.same(arrived.map((a) => a.n), [1, 2, 3], 'once each, in order');
    t.ok(arrived[0]!.at - published >= 400, `handled ${arrived[0]!.at - published} ms after the publish`);
  });

  t.test('topics are created with the declared partitions; events carry key and headers', async (t) => {
    const prefix = freshPrefix();
    const bus = await connectBus(prefix);
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    // connect() is idempotent: a second bus on the same prefix finds the topics.
    const again = await connectBus(prefix);
    await within(20_000, 'bus close', again.close());

    const admin = plainKafka().admin();
    t.teardown(() => admin.disconnect());
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({
      topics: ['room', 'user', 'signal', 'room.dlq'].map((n) => prefix + n),
    });
    const partitions = Object.fromEntries(meta.topics.map((m) => [m.name.slice(prefix.length), m.partitions.length]));
    t.same(partitions, { room: 12, user: 3, signal: 3, 'room.dlq': 3 });

    const key = randomUUID();
    const events = [makeEvent(key, 1), makeEvent(key, 2, 'member.joined'), makeEvent(key, 3, 'typing.started')];
    await bus.publish(events);
    const ends = await admin.fetchTopicOffsets(`${prefix}room`);
    const withData = ends.filter((e) => Number(e.high) > 0);
    t.equal(withData.length, 1, 'both room events of one key sit on one partition');
    t.equal(Number(withData[0]?.high), 2);

    const received: KafkaMessage[] = [];
    const consumer = plainKafka().consumer({ groupId: group('plain'), maxWaitTimeInMs: 200 });
    t.teardown(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topics: [`${prefix}signal`], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    await waitFor('signal event', () => received.length >= 1);
    const m = received[0]!;
    t.equal(m.key?.toString(), key, 'message key = envelope key');
    t.equal(m.headers?.type?.toString(), 'typing.started');
    t.equal(m.headers?.version?.toString(), '1');
    t.same(JSON.parse(m.value!.toString()), events[2], 'value = the envelope as JSON');
  });

  t.test('offsets are committed only after the handler finished (at-least-once)', async (t) => {
    const bus = await connectBus();
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    const g = group('alo');
    const key = randomUUID();

    // Member 1 handles 1, then "dies" in the middle of handling 2 (closed while blocked; the handler then fails).
    const seen1: number[] = [];
    let entered2 = false;
    let crash!: (err: Error) => void;
    const blocked = new Promise<void>((_, reject) => (crash = reject));
    const sub1 = await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async (e) => {
        if (e.key !== key) return;
        if (nOf(e) === 2) {
          entered2 = true;
          await blocked;
        }
        seen1.push(nOf(e));
      },
    });
    await bus.publish([1, 2, 3].map((n) => makeEvent(key, n)));
    await waitFor('member 1 blocked in event 2', () => entered2 && seen1.length === 1);
    const closing = sub1.close();
    await sleep(100);
    crash(new Error('process died mid-handler'));
    await within(15_000, 'close of member 1', closing);
    t.same(seen1, [1], 'member 1 handled only event 1');
    t.equal(bus.deadLetters().length, 0, 'a handler cut short by close() is not dead-lettered');

    // A new member of the same group resumes at the first un-handled event.
    const seen2: number[] = [];
    const sub2 = await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async (e) => void (e.key === key && seen2.push(nOf(e))),
    });
    await waitFor('member 2 to get 2 and 3', () => seen2.length >= 2);
    await sleep(300);
    t.same(seen2, [2, 3], 'event 1 was committed after its handler; 2 (interrupted) and 3 are re-delivered');
    await waitFor('lag 0', async () => (await bus.consumerLag(g)) === 0, 10_000);
    t.pass('consumerLag reaches 0 once everything is handled');

    // close() waits for an in-flight handler; an event whose handler finished is committed and not re-delivered.
    let entered5 = false;
    let finish!: () => void;
    const slow = new Promise<void>((r) => (finish = r));
    const seen2b: number[] = [];
    await sub2.close();
    const sub3 = await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async (e) => {
        if (e.key !== key) return;
        if (nOf(e) === 5) {
          entered5 = true;
          await slow;
        }
        seen2b.push(nOf(e));
      },
    });
    await bus.publish([4, 5, 6].map((n) => makeEvent(key, n)));
    await waitFor('member 3 blocked in event 5', () => entered5);
    let closed = false;
    const closing3 = sub3.close().then(() => (closed = true));
    await sleep(300);
    t.notOk(closed, 'close() waits for the in-flight handler');
    finish();
    await within(15_000, 'close of member 3', closing3);
    t.same(seen2b, [4, 5], 'in-flight handler finished; the next event was not started');
    const seen4: number[] = [];
    await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async (e) => void (e.key === key && seen4.push(nOf(e))),
    });
    await waitFor('member 4 to get 6', () => seen4.length >= 1);
    await sleep(300);
    t.same(seen4, [6], 'only the event after the finished one is delivered again');
  });

  t.test('eventbus_consumer_lag is the broker\'s lag when another process publishes', async (t) => {
    const prefix = freshPrefix();
    const producer = await connectBus(prefix); // "another process": the consumer's bus never sees these publishes
    const consumerBus = await connectBus(prefix);
    const metrics = createMetrics('lag-test');
    const bus = new InstrumentedEventBus(consumerBus, metrics, 200);
    t.teardown(async () => {
      await within(20_000, 'bus close', bus.close());
      await within(20_000, 'producer close', producer.close());
    });
    const g = group('lag');
    const key = randomUUID();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async (e) => {
        if (e.key !== key) return;
        await gate;
        seen.push(nOf(e));
      },
    });
    const lag = async () => (await metrics.registry.getSingleMetric('eventbus_consumer_lag')!.get()).values.find((v) => v.labels.group === g)?.value ?? -1;
    await producer.publish([1, 2, 3, 4, 5].map((n) => makeEvent(key, n)));
    await waitFor('lag of 5 reported from the broker', async () => (await lag()) === 5, 15_000);
    t.pass('5 events waiting: lag 5 (the in-process count would say 0)');
    release();
    await waitFor('all handled', () => seen.length === 5);
    await waitFor('lag back to 0 once committed', async () => (await lag()) === 0, 15_000);
    t.pass('lag 0 once the group committed them');
  });

  t.test('close() gives up on a stuck handler after closeTimeoutMs; the event stays uncommitted', async (t) => {
    const bus = await connectKafkaEventBus({ ...busOptions(freshPrefix()), closeTimeoutMs: 500 });
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    const g = group('stuck');
    const key = randomUUID();
    let unstick!: () => void;
    const stuck = new Promise<void>((r) => (unstick = r));
    t.teardown(() => unstick());
    let entered = false;
    const sub = await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async (e) => {
        if (e.key !== key) return;
        entered = true;
        await stuck;
      },
    });
    await bus.publish([makeEvent(key, 1)]);
    await waitFor('handler entered', () => entered);
    const started = Date.now();
    await within(10_000, 'close of a stuck member', sub.close());
    t.ok(Date.now() - started < 5_000, `close returned after ${Date.now() - started}ms`);
    unstick(); // finishes after the member left: must not be committed

    const seen: number[] = [];
    await bus.subscribe({ group: g, topics: ['room'], handler: async (e) => void (e.key === key && seen.push(nOf(e))) });
    await waitFor('re-delivery to the next member', () => seen.length >= 1);
    t.same(seen, [1]);
  });

  t.test('rebalance: a second member joins while events flow', async (t) => {
    const bus = await connectBus();
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    const g = group('rebalance');
    const keys = Array.from({ length: 24 }, () => randomUUID());
    const rounds = 40;
    const done = new Map<string, Set<number>>(keys.map((k) => [k, new Set()]));
    const perConsumer = { A: new Map<string, number[]>(), B: new Map<string, number[]>() };
    let orderViolations = 0;
    let handled = 0;

    const handlerFor = (name: 'A' | 'B') => async (e: EventEnvelope) => {
      const seen = done.get(e.key);
      if (!seen) return;
      const n = nOf(e);
      // The port's order: an event is never handled before its key's predecessor was handled (by anyone).
      if (n > 1 && !seen.has(n - 1)) orderViolations++;
      await sleep(1);
      const mine = perConsumer[name].get(e.key) ?? [];
      mine.push(n);
      perConsumer[name].set(e.key, mine);
      seen.add(n);
      handled++;
    };

    await bus.subscribe({ group: g, topics: ['room'], handler: handlerFor('A') });
    let published = 0;
    const publisher = (async () => {
      for (let n = 1; n <= rounds; n++) {
        await bus.publish(keys.map((k) => makeEvent(k, n)));
        published = n;
        await sleep(40);
      }
    })();
    await waitFor('a few rounds', () => published >= 8);
    await bus.subscribe({ group: g, topics: ['room'], handler: handlerFor('B') });
    const publishedWhenBJoined = published;
    await within(30_000, 'publisher', publisher);
    await waitFor('every event handled at least once', () => [...done.values()].every((s) => s.size === rounds), 30_000);

    const countA = [...perConsumer.A.values()].reduce((a, s) => a + s.length, 0);
    const countB = [...perConsumer.B.values()].reduce((a, s) => a + s.length, 0);
    const duplicates = handled - keys.length * rounds;
    t.comment(`A handled ${countA}, B handled ${countB}, duplicates ${duplicates}, B joined after round ${publishedWhenBJoined}`);
    t.ok(publishedWhenBJoined < rounds, 'B joined while events were still being published');
    t.ok(countB > 0, 'the second member got partitions and handled events');
    t.equal(orderViolations, 0, 'no event handled before its predecessor');
    // Within each consumer a key's sequence only ever increases, except for a re-delivery rewind.
    let nonMonotonic = 0;
    for (const byKey of [perConsumer.A, perConsumer.B]) {
      for (const seq of byKey.values()) {
        for (let i = 1; i < seq.length; i++) if (seq[i]! <= seq[i - 1]!) nonMonotonic++;
      }
    }
    t.ok(nonMonotonic <= duplicates, `per-consumer order holds up to re-deliveries (${nonMonotonic} rewinds)`);
    t.ok(duplicates >= 0, 'every event handled at least once');
  });

  t.test('a poison event lands on the dead-letter topic with its provenance', async (t) => {
    const prefix = freshPrefix();
    const bus = await connectBus(prefix);
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    const g = group('dlq');
    const key = randomUUID();
    const seen: number[] = [];
    let attempts = 0;
    await bus.subscribe({
      group: g,
      topics: ['room'],
      maxAttempts: 3,
      handler: async (e) => {
        if (e.key !== key) return;
        if (nOf(e) === 1) {
          attempts++;
          throw new PoisonEventError('poison pill');
        }
        seen.push(nOf(e));
      },
    });
    const events = [1, 2].map((n) => makeEvent(key, n));
    await bus.publish(events);
    await waitFor('event after the poison', () => seen.length >= 1);
    t.equal(attempts, 1, 'a deterministic failure is not retried');
    t.same(seen, [2], 'the key moved on');
    const dead = bus.deadLetters().filter((d) => d.group === g);
    t.equal(dead.length, 1);
    t.equal(dead[0]?.event.id, events[0]!.id);

    const dlq: KafkaMessage[] = [];
    let consumer: Consumer | undefined;
    t.teardown(() => consumer?.disconnect());
    consumer = plainKafka().consumer({ groupId: group('dlq-reader'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${prefix}room.dlq`], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dlq.push(message) });
    await waitFor('dead letter on room.dlq', () => dlq.length >= 1);
    const m = dlq[0]!;
    const h = (name: string) => m.headers?.[name]?.toString();
    t.equal(m.key?.toString(), key, 'key kept');
    t.same(JSON.parse(m.value!.toString()), events[0], 'value is the original envelope');
    t.equal(h(DLQ_HEADERS.topic), `${prefix}room`);
    t.equal(h(DLQ_HEADERS.group), g);
    t.match(h(DLQ_HEADERS.error), /poison pill/);
    t.equal(h(DLQ_HEADERS.attempts), '1');
    t.match(h(DLQ_HEADERS.partition), /^\d+$/);
    t.match(h(DLQ_HEADERS.offset), /^\d+$/);
    t.equal(h('type'), 'message.posted', 'original headers kept');
    await waitFor('lag 0 after dead-lettering', async () => (await bus.consumerLag(g)) === 0, 10_000);
    t.pass('the poison event was committed: the partition moved on');
  });

  t.test('handleBatch: a batch is committed only once it resolved and its failures were dead-lettered', async (t) => {
    const bus = await connectBus();
    t.teardown(() => within(20_000, 'bus close', bus.close()));
    const g = group('batch-alo');
    const key = randomUUID();

    // Member 1 is closed while its batch is in hand; the batch then fails: nothing of it is committed.
    let entered = false;
    let crash!: (err: Error) => void;
    const blocked = new Promise<void>((_, reject) => (crash = reject));
    const sub1 = await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async () => {
        throw new Error('the per-event fallback must not be used');
      },
      handleBatch: async (events) => {
        if (!events.some((e) => e.key === key)) return;
        entered = true;
        await blocked;
      },
    });
    const events = [1, 2, 3].map((n) => makeEvent(key, n));
    await bus.publish(events);
    await waitFor('member 1 holding the batch', () => entered);
    const closing = sub1.close();
    await sleep(100);
    crash(new Error('process died mid-batch'));
    await within(15_000, 'close of member 1', closing);
    t.equal(bus.deadLetters().length, 0, 'a batch cut short by close() is not dead-lettered');

    // Member 2 gets the whole batch again; event 2 is refused alone.
    const seen: number[] = [];
    await bus.subscribe({
      group: g,
      topics: ['room'],
      handler: async () => {
        throw new Error('the per-event fallback must not be used');
      },
      handleBatch: async (batch) => {
        const failures = [];
        for (const e of batch) {
          if (e.key !== key) continue;
          if (nOf(e) === 2) failures.push({ event: e, error: new PoisonEventError('refused 2') });
          else seen.push(nOf(e));
        }
        return failures;
      },
    });
    await waitFor('member 2 to get the batch again', () => seen.length >= 2);
    t.same(seen, [1, 3], 'the uncommitted batch was delivered again, in order');
    const dead = bus.deadLetters().filter((d) => d.group === g);
    t.equal(dead.length, 1);
    t.equal(dead[0]?.event.id, events[1]!.id, 'only the refused event was dead-lettered');
    await waitFor('lag 0 once the batch is committed', async () => (await bus.consumerLag(g)) === 0, 10_000);
    t.pass('the batch (dead letter included) was committed');
  });
});
