// KafkaEventBus across a broker outage. It stops and starts a broker, so it
// never uses the shared one: it runs only against a broker of its own,
//
//   SERVICES_DIR=/tmp/outage SERVICES_KAFKA_PORT=39192 bash scripts/services.sh up kafka
//   KAFKA_OUTAGE_SERVICES_DIR=/tmp/outage KAFKA_OUTAGE_PORT=39192 npx tap shared/test/kafka-broker-outage.test.ts
//
// KAFKA_OUTAGE_SECONDS (default 40) is how long the running subscription is left without a broker;
// longer than kafkajs's own retries (~15 s) and than the old 30 s join timeout.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { connectKafkaEventBus } from '../src/events/kafka-bus-factory'; // KAFKA_CLIENT picks the client (default kafkajs)
import {
  cleanupKafka, freshGroup, freshPrefix, makeEvent, nOf, recordUnhandledRejections, sleep, testBusOptions, waitFor, within,
} from './kafka-test-support';

const dir = process.env.KAFKA_OUTAGE_SERVICES_DIR;
const port = process.env.KAFKA_OUTAGE_PORT;
const skip = dir && port ? false : 'needs a broker of its own: KAFKA_OUTAGE_SERVICES_DIR and KAFKA_OUTAGE_PORT (see the file header)';
const outageMs = Number(process.env.KAFKA_OUTAGE_SECONDS ?? 40) * 1000;
const brokers = [`127.0.0.1:${port}`];
const servicesScript = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));

function broker(cmd: 'up' | 'down'): void {
  execFileSync('bash', [servicesScript, cmd, 'kafka'], {
    env: { ...process.env, SERVICES_DIR: dir, SERVICES_KAFKA_PORT: port },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const unhandled = recordUnhandledRejections();
t.teardown(async () => {
  if (skip) return;
  broker('up'); // leave it as we found it
  await cleanupKafka(brokers);
});

const options = (prefix: string, warnings?: string[]) =>
  testBusOptions(prefix, { brokers, startTimeoutMs: 2_000, consumer: { joinTimeoutMs: 3_000, sessionTimeout: 6_000, rebalanceTimeout: 6_000 } }, warnings);

t.test('a subscription started while the broker is down consumes once it is up', { skip, timeout: 120_000 }, async (t) => {
  broker('up');
  const prefix = freshPrefix();
  // Topics exist before the outage (a deployment's topics do).
  await (await connectKafkaEventBus(options(prefix))).close();
  broker('down');
  const warnings: string[] = [];
  const bus = await connectKafkaEventBus(options(prefix, warnings));
  t.teardown(() => within(30_000, 'bus close', bus.close()));
  const seen: number[] = [];
  const key = randomUUID();
  const started = Date.now();
  await bus.subscribe({ group: freshGroup('late'), topics: ['room'], handler: async (e) => void (e.key === key && seen.push(nOf(e))) });
  t.ok(Date.now() - started < 10_000, `subscribe resolved in ${Date.now() - started}ms with the broker down`);
  await sleep(3_000);
  broker('up');
  const up = Date.now();
  await waitFor('publish after the broker is back', async () => bus.publish([makeEvent(key, 1)]).then(() => true, () => false), 60_000);
  const published = Date.now() - up;
  await waitFor('the event consumed', () => seen.length >= 1, 60_000);
  t.comment(`broker up → published in ${published}ms, consumed in ${Date.now() - up}ms`);
  t.same(seen.slice(0, 1), [1]);
  await waitFor('ping ok once joined', () => bus.ping().then(() => true, () => false), 30_000);
  t.ok(warnings.length > 0, `it said so while waiting (${warnings.length} warnings)`);
});

t.test(`a running subscription survives a ${outageMs / 1000} s outage`, { skip, timeout: outageMs + 180_000 }, async (t) => {
  broker('up');
  const bus = await connectKafkaEventBus(options(freshPrefix()));
  t.teardown(() => within(30_000, 'bus close', bus.close()));
  const key = randomUUID();
  const seen: number[] = [];
  const g = freshGroup('outage');
  await bus.subscribe({ group: g, topics: ['room'], handler: async (e) => void (e.key === key && seen.push(nOf(e))) });
  await bus.publish([makeEvent(key, 1)]);
  await waitFor('event 1', () => seen.length >= 1);
  // Committed before the outage (else it is handled again after it: at-least-once, not what this test is about).
  await waitFor('event 1 committed', async () => (await bus.consumerLag(g)) === 0);
  broker('down');
  await t.rejects(bus.publish([makeEvent(key, 99)]), 'publish rejects while the broker is down');
  await t.rejects(within(5_000, 'ping', bus.ping()), 'readiness fails while the broker is down');
  await sleep(outageMs);
  broker('up');
  const back = Date.now();
  t.comment(`broker down for ${outageMs}ms (+ its stop and start)`);
  await waitFor('publish after the outage', async () => bus.publish([makeEvent(key, 2)]).then(() => true, () => false), 60_000);
  await waitFor('event 2 consumed after the outage', () => seen.includes(2), 90_000);
  t.comment(`delivered ${Date.now() - back}ms after the broker came back`);
  t.same(seen.filter((n) => n !== 99), [1, 2], 'delivery was delayed, nothing else');
});

t.test('no unhandled rejections', { skip }, async (t) => {
  t.same(unhandled.map(String), []);
});
