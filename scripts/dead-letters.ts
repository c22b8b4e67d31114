/**
 * The dead-letter topics (`<topic>.dlq`) of the Kafka event bus.
 *
 *   tsx scripts/dead-letters.ts list   [--topic room]... [--all]
 *   tsx scripts/dead-letters.ts replay [--topic room]... [--dry-run]
 *
 * KAFKA_BROKERS (required) and KAFKA_TOPIC_PREFIX as for the services. Topics
 * default to every event family in infra/kafka/topics.json.
 *
 * list: one JSON line per dead letter not replayed yet (with --all: every one
 * still retained, `replayed` telling which): the group that refused it, why,
 * the event's type/id/key and where it was.
 * replay: republishes each pending dead letter to its original topic with a
 * `replay-group` header, so only the group that refused it handles it again,
 * then marks it replayed; prints one JSON summary line. Deploy the fix first: a
 * replayed event that fails deterministically again is dead-lettered again.
 * See docs/adr/0009-kafka-consumers-under-faults.md.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaDeadLetterQueue } from '../shared/src/events/kafka-dead-letter-queue';
import { loadTopicDeclarations } from '../shared/src/events/kafka-topics';

const usage = 'usage: dead-letters.ts list [--topic T]... [--all] | dead-letters.ts replay [--topic T]... [--dry-run]';
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { topic: { type: 'string', multiple: true }, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
});
const command = positionals[0];
const brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean) ?? [];
if ((command !== 'list' && command !== 'replay') || positionals.length > 1) {
  console.error(usage);
  process.exit(64);
}
if (brokers.length === 0) {
  console.error('invalid configuration: KAFKA_BROKERS is required');
  process.exit(78);
}
const topics = values.topic ?? loadTopicDeclarations().map((d) => d.name).filter((n) => !n.endsWith('.dlq'));
const kafka = new Kafka({ clientId: 'dead-letters', brokers, logLevel: logLevel.WARN });
const queue = new KafkaDeadLetterQueue(kafka, process.env.KAFKA_TOPIC_PREFIX?.trim() ?? '');
await queue.connect();
try {
  if (command === 'list') {
    const letters = await queue.list(topics, values.all ?? false);
    for (const letter of letters) console.log(JSON.stringify(letter));
    console.error(`${letters.length} dead letter(s)${values.all ? '' : ' pending'} in ${topics.map((t) => `${t}.dlq`).join(', ')}`);
  } else {
    const dryRun = values['dry-run'] ?? false;
    const { count, byTopic } = await queue.replay(topics, dryRun);
    console.log(JSON.stringify(dryRun ? { replayed: 0, wouldReplay: count, byTopic } : { replayed: count, byTopic }));
  }
} finally {
  await queue.close();
}
