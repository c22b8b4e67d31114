// Smoke test against a real Kafka broker (scripts/services.sh up kafka).
// Checks what the app relies on with kafkajs 2.2.4: idempotent producer with
// acks=all, consumer-group offset commits, rebalancing when a member joins, and
// a restarted member resuming after the committed offsets.
//
//   eval "$(bash scripts/services.sh up kafka)" && npx tap test/infra/kafka.smoke.test.ts
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Consumer, ConsumerGroupJoinEvent, EachMessagePayload, Producer, Admin } from 'kafkajs';

const brokers = process.env.KAFKA_BROKERS;

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('kafka smoke', { skip: brokers ? false : 'KAFKA_BROKERS not set', timeout: 100_000 }, async (t) => {
  const kafka = new Kafka({
    clientId: `smoke-${randomUUID().slice(0, 8)}`,
    brokers: brokers!.split(','),
    logLevel: logLevel.NOTHING, // retriable coordinator-loading errors are noise here; failures assert below
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const topic = `smoke-${randomUUID()}`;
  const groupId = `smoke-group-${randomUUID()}`;

  const clients: Array<Admin | Producer | Consumer> = [];
  t.teardown(async () => {
    for (const c of clients.reverse()) await c.disconnect().catch(() => {});
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => {});
      await admin.deleteTopics({ topics: [topic], timeout: 5000 }).catch(() => {});
    } finally {
      await admin.disconnect().catch(() => {});
    }
  });

  const admin = kafka.admin();
  clients.push(admin);
  await admin.connect();
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    waitForLeaders: true,
    timeout: 10_000,
  });
  t.equal(created, true, 'topic created');
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  t.equal(meta.topics[0]?.partitions.length, 3, 'topic has 3 partitions');

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  clients.push(producer);
  await producer.connect();

  const batch1 = Array.from({ length: 30 }, (_, i) => ({ key: `room-${i % 7}`, value: `first-${i}` }));
  const res = await producer.send({ topic, acks: -1, messages: batch1 });
  t.ok(res.length >= 1, 'idempotent producer with acks=-1 got acknowledgements');
  t.ok(res.every((r) => r.errorCode === 0), 'no produce errors');

  // --- consumer group A, member 1 ----------------------------------------
  type Member = { consumer: Consumer; seen: string[]; joins: ConsumerGroupJoinEvent[] };
  const newMember = async (): Promise<Member> => {
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      retry: { retries: 5, initialRetryTime: 200 },
    });
    clients.push(consumer);
    const m: Member = { consumer, seen: [], joins: [] };
    consumer.on(consumer.events.GROUP_JOIN, (e) => m.joins.push(e));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: true, // commit resolved offsets at the end of every batch
      eachMessage: async ({ message }: EachMessagePayload) => {
        m.seen.push(message.value?.toString() ?? '');
      },
    });
    return m;
  };

  const m1 = await newMember();
  await waitFor('member 1 to consume all 30', () => m1.seen.length >= 30);
  t.same(new Set(m1.seen), new Set(batch1.map((m) => m.value)), 'member 1 consumed every message once');
  t.equal(m1.seen.length, 30, 'no duplicates');
  t.same(
    m1.joins.at(-1)?.payload.memberAssignment[topic]?.slice().sort(),
    [0, 1, 2],
    'sole member is assigned all 3 partitions',
  );

  const committed = async () => {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  };
  await waitFor('offsets of all 30 messages to be committed', async () => (await committed()) === 30);
  t.pass('group committed offsets for all 30 messages');

  // --- member 2 joins: rebalance -----------------------------------------
  const joinsBefore = m1.joins.length;
  const m2 = await newMember();
  await waitFor('rebalance to give both members partitions', () => {
    const a1 = m1.joins.length > joinsBefore ? m1.joins.at(-1)!.payload.memberAssignment[topic] ?? [] : [];
    const a2 = m2.joins.at(-1)?.payload.memberAssignment[topic] ?? [];
    return a1.length > 0 && a2.length > 0 && a1.length + a2.length === 3;
  });
  const a1 = m1.joins.at(-1)!.payload.memberAssignment[topic]!;
  const a2 = m2.joins.at(-1)!.payload.memberAssignment[topic]!;
  t.ok(m1.joins.length > joinsBefore, 'member 1 rejoined (rebalance happened)');
  t.same([...a1, ...a2].sort(), [0, 1, 2], `partitions split between members: ${JSON.stringify({ a1, a2 })}`);
  t.not(m1.joins.at(-1)!.payload.memberId, m2.joins.at(-1)!.payload.memberId, 'distinct members');
  await sleep(500);
  t.equal(m2.seen.length, 0, 'member 2 does not re-read committed messages');

  // --- restart: a new member resumes after the committed offsets ---------
  await m1.consumer.disconnect();
  await m2.consumer.disconnect();
  const batch2 = Array.from({ length: 5 }, (_, i) => ({ key: `room-${i}`, value: `second-${i}` }));
  await producer.send({ topic, acks: -1, messages: batch2 });

  const m3 = await newMember();
  await waitFor('restarted member to consume the 5 new messages', () => m3.seen.length >= 5);
  await sleep(1000); // give any wrongly re-delivered old message a chance to show up
  t.same(m3.seen.slice().sort(), batch2.map((m) => m.value).sort(), 'restarted member sees only new messages');
});
