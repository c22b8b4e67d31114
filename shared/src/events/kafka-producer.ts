import { Partitioners } from 'kafkajs';
import type { Kafka, Message, Producer } from 'kafkajs';
import type { EventEnvelope } from './event-envelope';
import { topicOf } from './event-envelope';
import { encodeEnvelope } from './kafka-message-codec';

/** Errors after which an idempotent producer's sequence state is wrong: it is replaced by a fresh one. */
const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

function brokeProducerState(err: unknown): boolean {
  for (let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && PRODUCER_STATE_ERRORS.has(e.type)) return true;
  }
  return false;
}

/**
 * Bytes of messages per produce request. A partition's messages go to the
 * broker as one record batch, refused whole when over its `max.message.bytes`
 * (1 MiB by default): the outbox relay publishes up to 1,000 events at once,
 * and a refused batch would hold every later event behind it forever.
 */
const CHUNK_BYTES = 512 * 1024;
/** Per-record overhead in a record batch (varints, timestamps, header keys), rounded up. */
const RECORD_OVERHEAD = 64;

function sizeOf(m: Message): number {
  let n = RECORD_OVERHEAD + (m.key ? Buffer.byteLength(m.key as string | Buffer) : 0) + (m.value ? Buffer.byteLength(m.value as string | Buffer) : 0);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + (typeof v === 'string' || Buffer.isBuffer(v) ? Buffer.byteLength(v) : 0);
  return n;
}

/** Splits a send into requests of at most CHUNK_BYTES (a lone larger message goes alone), keeping each topic's order. */
export function chunksOf(byTopic: Map<string, Message[]>): Map<string, Message[]>[] {
  const chunks: Map<string, Message[]>[] = [];
  let current = new Map<string, Message[]>();
  let bytes = 0;
  for (const [topic, messages] of byTopic) {
    for (const m of messages) {
      const size = sizeOf(m);
      if (bytes > 0 && bytes + size > CHUNK_BYTES) {
        chunks.push(current);
        current = new Map();
        bytes = 0;
      }
      let list = current.get(topic);
      if (!list) current.set(topic, (list = []));
      list.push(m);
      bytes += size;
    }
  }
  if (bytes > 0) chunks.push(current);
  return chunks;
}

export interface ProducerDeps {
  /** Connects the bus (admin, topics); rejects while the broker is unreachable. */
  readonly ready: () => Promise<void>;
  /** Creates the given prefixed topics if missing. */
  readonly ensureTopics: (topics: readonly string[]) => Promise<void>;
  readonly topicName: (topic: string) => string;
}

/**
 * The bus's producer: `acks=-1` (all in-sync replicas) + idempotence with one
 * request in flight, so a retried request can neither duplicate nor reorder
 * within a partition; Java-compatible murmur2 partitioning, so a key maps to
 * the same partition from any client. A send rejects when the broker is down
 * (callers retry: the outbox relay); nothing here outlives a call.
 */
export class KafkaEventProducer {
  private producer: Producer;
  private connected: Promise<void> | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly kafka: Kafka, private readonly deps: ProducerDeps) {
    this.producer = this.create();
  }

  private create(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Idempotent; a failed connect is tried again by the next call. */
  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    return this.connected;
  }

  /** Groups events by topic into sendBatch requests of at most CHUNK_BYTES, in order; resolves once every event is acknowledged. */
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

  /** Sends messages to one (prefixed) topic, acknowledged by all in-sync replicas. */
  send(topic: string, messages: Message[]): Promise<void> {
    return this.track(new Map([[topic, messages]]));
  }

  private async track(byTopic: Map<string, Message[]>): Promise<void> {
    const send = (async () => {
      for (const chunk of chunksOf(byTopic)) await this.sendBatch(chunk);
    })();
    this.pending.add(send);
    try {
      await send;
    } finally {
      this.pending.delete(send);
    }
  }

  private async sendBatch(byTopic: Map<string, Message[]>): Promise<void> {
    await this.deps.ready();
    await this.deps.ensureTopics([...byTopic.keys()]);
    await this.connect();
    const producer = this.producer;
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (err) {
      if (brokeProducerState(err) && this.producer === producer) {
        // The caller retries; the retry goes through a fresh producer id.
        this.producer = this.create();
        this.connected = undefined;
        void producer.disconnect().catch(() => {});
      }
      throw err;
    }
  }

  /** Waits for sends in flight (settled either way), then disconnects. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.producer.disconnect().catch(() => {});
  }
}
