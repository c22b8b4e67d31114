import type { Message as ConsumedMessage, MessageToProduce } from '@platformatic/kafka';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/**
 * The kafkajs adapter's codec (`encodeEnvelope`, `decodeEnvelope`), dead-letter
 * helpers and batch consumer work on kafkajs-shaped messages. This adapter
 * reuses them as they are and converts at its edges: produced messages into
 * @platformatic/kafka's records (Buffers only: its record writer takes byte
 * lengths), consumed records into kafkajs's `KafkaMessage` shape.
 */

export type PlatformaticRecord = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
/** A consumed record, header keys deserialised to strings (see `headerKeyToString`). */
export type PlatformaticConsumed = ConsumedMessage<Buffer | undefined, Buffer | undefined, string, Buffer | undefined>;

const toBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** A kafkajs-shaped message (key/value/headers as strings or Buffers) as a record for `topic`. */
export function toRecord(topic: string, m: Message): PlatformaticRecord {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    if (value === undefined) continue;
    // kafkajs writes each element of an array header as its own header; so does this.
    for (const v of Array.isArray(value) ? value : [value]) headers.set(Buffer.from(name), toBuffer(v));
  }
  return {
    topic,
    key: m.key === null || m.key === undefined ? undefined : toBuffer(m.key),
    value: m.value === null ? undefined : toBuffer(m.value),
    headers,
  };
}

/** Header keys arrive as Buffers; the codec looks headers up by name. */
export const headerKeyToString = (data?: Buffer): string => data?.toString() ?? '';

/** A consumed record in kafkajs's shape: offsets and timestamps as decimal strings, headers as an object. */
export function toKafkaMessage(m: PlatformaticConsumed): KafkaMessage {
  const headers: IHeaders = {};
  for (const [name, value] of m.headers) {
    if (value === undefined) continue;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else headers[name] = Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return {
    key: m.key ?? null,
    value: m.value ?? null,
    timestamp: m.timestamp.toString(),
    attributes: 0,
    offset: m.offset.toString(),
    headers,
  };
}
