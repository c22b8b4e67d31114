// The search subscription on the Kafka bus, into a real Elasticsearch: a consumed
// batch becomes one `_bulk` request, and a document ES refuses is dead-lettered alone.
//
//   KAFKA_BROKERS=127.0.0.1:39092 ELASTICSEARCH_URL=http://127.0.0.1:39200 npx tap services/search/test/search-consumer.integration.test.ts
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { Client } from '@elastic/elasticsearch';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import { InstrumentedEventBus } from '@chat/shared/events/instrumented-event-bus';
import { KafkaEventBus } from '@chat/shared/events/kafka-event-bus';
import { createMetrics } from '@chat/shared/metrics/metrics';
import type { MessageView, TimelineEvent } from '@chat/shared/events/timeline-events';
import { cleanupKafka, freshPrefix, testBusOptions, waitFor, within } from '../../../shared/test/kafka-test-support';
import { EsMessageIndex } from '../src/es-message-index';
import { searchSubscription } from '../src/search.consumer';

const url = process.env.ELASTICSEARCH_URL;
const skip = url && process.env.KAFKA_BROKERS ? false : 'needs KAFKA_BROKERS and ELASTICSEARCH_URL';

t.teardown(() => cleanupKafka());

function envelope(event: TimelineEvent): EventEnvelope {
  return { id: randomUUID(), type: event.type, version: 1, key: event.roomId, occurredAt: event.occurredAt, payload: event };
}
function message(roomId: string, seq: number, body: string, over: Partial<MessageView> = {}): MessageView {
  return { id: randomUUID(), roomId, seq, senderId: 'u1', clientMsgId: `c-${seq}`, body, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), editedAt: null, deleted: false, ...over };
}
const when = (seq: number) => new Date(Date.UTC(2026, 0, 1, 0, 1, seq)).toISOString();

t.test('a consumed batch is one _bulk request; the refused document alone is dead-lettered', { skip, timeout: 90_000 }, async (t) => {
  const name = `test-consumer-${randomUUID().slice(0, 8)}`;
  const client = new Client({ node: url!, requestTimeout: 10_000 });
  let bulks = 0;
  client.diagnostic.on('request', (_e, meta) => void (meta?.meta.request.params.path.endsWith('/_bulk') && bulks++));
  const index = new EsMessageIndex(client, name);
  await index.ensureIndex();
  const bus = await KafkaEventBus.connect(testBusOptions(freshPrefix()));
  t.teardown(async () => {
    await within(20_000, 'bus close', bus.close());
    await client.indices.delete({ index: name }).catch(() => {});
    await index.close();
  });

  const rooms = [randomUUID(), randomUUID(), randomUUID()];
  const events: TimelineEvent[] = [];
  const bad: TimelineEvent[] = [];
  for (const roomId of rooms) {
    const keep = message(roomId, 1, `consumer 검색서버 ${roomId.slice(0, 4)}`);
    const edit = message(roomId, 2, 'consumer before edit');
    const gone = message(roomId, 3, 'consumer soon deleted');
    const refused = message(roomId, 4, 'consumer refused', { createdAt: 'not-a-date' });
    bad.push({ type: 'message.posted', seq: 4, roomId, actorId: 'u1', occurredAt: when(4), message: refused });
    events.push(
      { type: 'message.posted', seq: 1, roomId, actorId: 'u1', occurredAt: when(1), message: keep },
      { type: 'message.posted', seq: 2, roomId, actorId: 'u1', occurredAt: when(2), message: edit },
      { type: 'message.posted', seq: 3, roomId, actorId: 'u1', occurredAt: when(3), message: gone },
      bad.at(-1)!,
      { type: 'message.edited', seq: 5, roomId, actorId: 'u1', occurredAt: when(5), message: { ...edit, body: 'consumer after edit', editedAt: when(5) } },
      { type: 'message.deleted', seq: 6, roomId, actorId: 'u1', occurredAt: when(6), messageId: gone.id },
    );
  }
  const envelopes = events.map(envelope);
  await bus.publish(envelopes); // before the group exists: it starts at the beginning and fetches them in batches
  // Through the instrumented bus, as the service runs it: a batch subscriber's events count in eventbus_consumed_total.
  const metrics = createMetrics('search-consumer-test');
  await new InstrumentedEventBus(bus, metrics).subscribe(searchSubscription(index));
  const consumed = async () => (await metrics.busConsumed.get()).values.find((v) => v.labels.group === 'search')?.value ?? 0;
  await waitFor('every event consumed or dead-lettered', async () => (await consumed()) + bus.deadLetters().length >= envelopes.length, 30_000);
  t.equal(await consumed(), envelopes.length - bad.length, 'eventbus_consumed_total counts the indexed events (the refused ones are dead letters)');
  await waitFor('three dead letters', () => bus.deadLetters().length >= 3, 10_000);

  t.ok(bulks >= 1 && bulks <= rooms.length, `${envelopes.length} events in ${bulks} _bulk request(s) (at most one per partition batch)`);
  const deadIds = bus.deadLetters().map((d) => (d.event.payload as { message: MessageView }).message.id).sort();
  t.same(deadIds, bad.map((e) => (e as { message: MessageView }).message.id).sort(), 'only the refused documents were dead-lettered');
  await index.refresh();
  const found = async (q: string) => (await index.search({ q, limit: 50 } as never, rooms)).map((m) => m.body).sort();
  t.equal((await found('검색서버')).length, 3);
  t.same(await found('consumer after edit'), ['consumer after edit', 'consumer after edit', 'consumer after edit']);
  t.same(await found('before edit'), [], 'edited in the same batch as its post');
  t.same(await found('soon deleted'), [], 'deleted in the same batch as its post');
  t.same(await found('refused'), []);
});
