import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { PoisonEventError } from '../kernel/errors';
import type { EventEnvelope } from './event-envelope';

/** Header names on every message the bus produces. */
export const HEADER_TYPE = 'type';
export const HEADER_VERSION = 'version';
export const HEADER_EVENT_ID = 'event-id';
/**
 * On a message replayed from a dead-letter topic: the one group it is for.
 * Other groups handled the original already and skip it.
 */
export const HEADER_REPLAY_GROUP = 'replay-group';

export function headerString(value: IHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined ? undefined : v.toString();
}

/** Key = envelope key (roomId for room events), value = the envelope as JSON, type/version/id as headers. */
export function encodeEnvelope(event: EventEnvelope): Message {
  return {
    key: event.key,
    value: JSON.stringify(event),
    headers: { [HEADER_TYPE]: event.type, [HEADER_VERSION]: String(event.version), [HEADER_EVENT_ID]: event.id },
  };
}

/** The envelope of a consumed message; PoisonEventError if it is not one. */
export function decodeEnvelope(message: KafkaMessage): EventEnvelope {
  let event: unknown;
  try {
    event = JSON.parse(message.value?.toString() ?? 'null');
  } catch (err) {
    throw new PoisonEventError(`undecodable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const e = event as Partial<EventEnvelope> | null;
  if (!e || typeof e !== 'object' || typeof e.type !== 'string' || typeof e.id !== 'string' || typeof e.key !== 'string') {
    throw new PoisonEventError('undecodable: not an event envelope');
  }
  return e as EventEnvelope;
}

/** What a dead letter records for a message that could not be decoded. */
export function placeholderEnvelope(topic: string, partition: number, message: KafkaMessage): EventEnvelope {
  return {
    id: headerString(message.headers?.[HEADER_EVENT_ID]) ?? `${topic}/${partition}/${message.offset}`,
    type: headerString(message.headers?.[HEADER_TYPE]) ?? 'unknown',
    version: Number(headerString(message.headers?.[HEADER_VERSION]) ?? 0),
    key: message.key?.toString() ?? '',
    occurredAt: new Date(Number(message.timestamp)).toISOString(),
    payload: message.value?.toString() ?? null,
  };
}
