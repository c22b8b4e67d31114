// Readiness probe for the local Kafka broker, using the same client the app uses
// (kafkajs). Exit 0 when the broker answers metadata requests and reports itself
// as the controller; exit 1 otherwise (the caller retries). Never hangs: every
// request has a timeout and the whole probe is capped.
//
//   node scripts/services/kafka-ready.mjs 127.0.0.1:39092
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const broker = process.argv[2] ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:39092';

const hardStop = setTimeout(() => {
  process.stderr.write(`kafka-ready: probe timed out for ${broker}\n`);
  process.exit(1);
}, 8000);
hardStop.unref();

const kafka = new Kafka({
  clientId: 'services-ready-probe',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1500,
  requestTimeout: 3000,
  retry: { retries: 0 },
});
const admin = kafka.admin({ retry: { retries: 0 } });

try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length < 1 || cluster.controller == null || cluster.controller < 0) {
    throw new Error(`no controller yet: ${JSON.stringify(cluster)}`);
  }
  await admin.listTopics();
  await admin.disconnect();
  process.exit(0);
} catch (err) {
  process.stderr.write(`kafka-ready: ${broker}: ${err?.message ?? err}\n`);
  await admin.disconnect().catch(() => {});
  process.exit(1);
}
