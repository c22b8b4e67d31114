// scripts/dead-letters.ts against a real broker: it lists the dead letters of a
// topic and replays them to the group that dead-lettered them, once.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { connectKafkaEventBus } from '../src/events/kafka-bus-factory'; // KAFKA_CLIENT picks the client (default kafkajs)
import { PoisonEventError } from '../src/kernel/errors';
import {
  brokers, cleanupKafka, freshGroup, freshPrefix, makeEvent, nOf, skipWithoutKafka as skip, sleep, testBusOptions, waitFor, within,
} from './kafka-test-support';

const script = fileURLToPath(new URL('../../scripts/dead-letters.ts', import.meta.url));
t.teardown(() => cleanupKafka());

async function run(prefix: string, ...args: string[]): Promise<Record<string, unknown>[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', script, ...args], {
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix },
    timeout: 60_000,
  });
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test('dead-letters.ts lists dead letters and replays them to their group', { skip, timeout: 120_000 }, async (t) => {
  const prefix = freshPrefix();
  const bus = await connectKafkaEventBus(testBusOptions(prefix));
  t.teardown(() => within(20_000, 'bus close', bus.close()));
  const g = freshGroup('needs-fix');
  const other = freshGroup('fine');
  const key = randomUUID();
  let fixed = false;
  const seen: number[] = [];
  const seenOther: number[] = [];
  await bus.subscribe({
    group: g,
    topics: ['room'],
    handler: async (e) => {
      if (e.key !== key) return;
      if (nOf(e) === 2 && !fixed) throw new PoisonEventError('cannot handle event 2 yet');
      seen.push(nOf(e));
    },
  });
  await bus.subscribe({ group: other, topics: ['room'], handler: async (e) => void (e.key === key && seenOther.push(nOf(e))) });
  const events = [1, 2, 3].map((n) => makeEvent(key, n));
  await bus.publish(events);
  await waitFor('1 and 3 handled, 2 dead-lettered', () => seen.length >= 2 && bus.deadLetters().length >= 1);

  const listed = await run(prefix, 'list');
  t.equal(listed.length, 1, 'one pending dead letter');
  t.match(listed[0], { topic: 'room', group: g, id: events[1]!.id, type: 'message.posted', key, replayed: false });
  t.match(String(listed[0]?.error), /PoisonEventError: cannot handle event 2 yet/);

  t.same(await run(prefix, 'replay', '--dry-run'), [{ replayed: 0, wouldReplay: 1, byTopic: { room: 1 } }], 'a dry run changes nothing');
  fixed = true; // the fix is deployed
  const replayed = await run(prefix, 'replay');
  t.same(replayed, [{ replayed: 1, byTopic: { room: 1 } }]);
  await waitFor('event 2 handled after the replay', () => seen.includes(2));
  t.same(seen, [1, 3, 2], 'the replayed event came back to its group');
  await sleep(1_000);
  t.same(seenOther, [1, 2, 3], 'other groups did not get it again');

  t.same(await run(prefix, 'list'), [], 'nothing pending after the replay');
  const all = await run(prefix, 'list', '--all');
  t.match(all, [{ id: events[1]!.id, replayed: true }], '--all still shows it, as replayed');
  t.same(await run(prefix, 'replay'), [{ replayed: 0, byTopic: {} }], 'a second replay does nothing');
});
