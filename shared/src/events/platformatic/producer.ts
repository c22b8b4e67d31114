import { compatibilityPartitioner, ProduceAcks, Producer } from '@platformatic/kafka';
import type { Message } from 'kafkajs';
import type { EventEnvelope } from '../event-envelope';
import { topicOf } from '../event-envelope';
import { encodeEnvelope } from '../kafka-message-codec';
import type { KafkaEventBusOptions } from '../kafka-options';
import { chunksOf, type ProducerDeps } from '../kafka-producer';
import { clientOptions, protocolErrorIds } from './client';
import { toRecord } from './messages';

/** Errors after which an idempotent producer's sequence state is wrong: it is replaced by a fresh one (as in kafka-producer.ts). */
const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/**
 * The bus's producer on @platformatic/kafka, with the kafkajs producer's
 * semantics: `acks=-1` + idempotence (the client then keeps one request in
 * flight per connection), Java-compatible murmur2 partitioning
 * (`compatibilityPartitioner`: the client's default partitioner takes the hash
 * unsigned, which would put some keys on other partitions than kafkajs and the
 * Java client do), the same ≤512 KiB chunks (`chunksOf`), sent one after the
 * other so a key's order holds across chunks. A send rejects when the broker is
 * down (bounded retries); callers retry.
 */
export class PlatformaticEventProducer {
  private producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private connected: Promise<void> | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: KafkaEventBusOptions, private readonly deps: ProducerDeps) {
    this.producer = this.create();
  }

  private create(): Producer<Buffer, Buffer, Buffer, Buffer> {
    return new Producer<Buffer, Buffer, Buffer, Buffer>({
      ...clientOptions(this.options, 'producer'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
    });
  }

  /** Idempotent: obtains the producer id; a failed attempt is tried again by the next call. */
  connect(): Promise<void> {
    this.connected ??= this.producer.initIdempotentProducer({}).then(
      () => undefined,
      (err: unknown) => {
        this.connected = undefined;
        throw err;
      },
    );
    return this.connected;
  }

  publish(events: readonly EventEnvelope[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const event of events) {
      const topic = this.deps.topicName(topicOf(event.type));
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push(encodeEnvelope(event));
    }
    return this.track(byTopic);
  }

  /** Sends kafkajs-shaped messages to one (prefixed) topic: the dead-letter sink's path. */
  send(topic: string, messages: Message[]): Promise<void> {
    return this.track(new Map([[topic, messages]]));
  }

  private async track(byTopic: Map<string, Message[]>): Promise<void> {
    const send = (async () => {
      for (const chunk of chunksOf(byTopic)) await this.sendChunk(chunk);
    })();
    this.pending.add(send);
    try {
      await send;
    } finally {
      this.pending.delete(send);
    }
  }

  private async sendChunk(byTopic: Map<string, Message[]>): Promise<void> {
    await this.deps.ready();
    await this.deps.ensureTopics([...byTopic.keys()]);
    await this.connect();
    const producer = this.producer;
    const records = [];
    for (const [topic, messages] of byTopic) for (const m of messages) records.push(toRecord(topic, m));
    try {
      await producer.send({ messages: records });
    } catch (err) {
      if (this.producer === producer && protocolErrorIds(err).some((id) => PRODUCER_STATE_ERRORS.has(id))) {
        // The caller retries; the retry goes through a fresh producer id.
        this.producer = this.create();
        this.connected = undefined;
        void producer.close().catch(() => {});
      }
      throw err;
    }
  }

  /** Waits for sends in flight (settled either way), then closes the client. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.producer.close().catch(() => {});
  }
}
