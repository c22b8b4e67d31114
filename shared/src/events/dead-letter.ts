import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { DeadLetter, SubscribeOptions } from './event-bus';
import type { EventEnvelope } from './event-envelope';
import { headerString, HEADER_EVENT_ID, HEADER_REPLAY_GROUP, HEADER_TYPE } from './kafka-message-codec';
import type { BusLogger } from './kafka-options';
import { dlqTopicOf } from './kafka-topics';

/** Extra headers on a dead-letter message (`<topic>.dlq`): where it came from and why. */
export const DLQ_HEADERS = {
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  group: 'dlq-group',
  error: 'dlq-error',
  attempts: 'dlq-attempts',
  at: 'dlq-at',
} as const;

export interface DeadLetterProvenance {
  /** Prefixed topic the message was read from. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The group (without the bus's prefix) whose handler refused it. */
  readonly group: string;
  readonly error: string;
  readonly attempts: number;
}

/** The original message (key, value, headers) plus its provenance, for `<topic>.dlq`. */
export function deadLetterMessage(message: KafkaMessage, p: DeadLetterProvenance): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...(message.headers ?? {}),
      [DLQ_HEADERS.topic]: p.topic,
      [DLQ_HEADERS.partition]: String(p.partition),
      [DLQ_HEADERS.offset]: p.offset,
      [DLQ_HEADERS.group]: p.group,
      [DLQ_HEADERS.error]: p.error.slice(0, 2000),
      [DLQ_HEADERS.attempts]: String(p.attempts),
      [DLQ_HEADERS.at]: new Date().toISOString(),
    },
  };
}

/** One message of a dead-letter topic, as operations see it. */
export interface DeadLetterRecord {
  readonly dlqTopic: string;
  readonly dlqPartition: number;
  readonly dlqOffset: string;
  /** Prefixed topic it came from. */
  readonly originalTopic: string;
  readonly originalPartition: number;
  readonly originalOffset: string;
  readonly group: string;
  readonly type: string;
  readonly id: string;
  readonly key: string;
  readonly error: string;
  readonly attempts: number;
  readonly at: string;
}

export function readDeadLetter(dlqTopic: string, dlqPartition: number, m: KafkaMessage): DeadLetterRecord {
  const h = (name: string) => headerString(m.headers?.[name]) ?? '';
  return {
    dlqTopic,
    dlqPartition,
    dlqOffset: m.offset,
    originalTopic: h(DLQ_HEADERS.topic),
    originalPartition: Number(h(DLQ_HEADERS.partition)),
    originalOffset: h(DLQ_HEADERS.offset),
    group: h(DLQ_HEADERS.group),
    type: h(HEADER_TYPE),
    id: h(HEADER_EVENT_ID),
    key: m.key?.toString() ?? '',
    error: h(DLQ_HEADERS.error),
    attempts: Number(h(DLQ_HEADERS.attempts)),
    at: h(DLQ_HEADERS.at),
  };
}

/** The original message again, addressed to the one group that dead-lettered it. */
export function replayMessage(m: KafkaMessage, group: string, from: string): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    if (!name.startsWith('dlq-') && name !== HEADER_REPLAY_GROUP && value !== undefined) headers[name] = value;
  }
  return { key: m.key, value: m.value, headers: { ...headers, [HEADER_REPLAY_GROUP]: group, 'replayed-from': from } };
}

/** A message refused deterministically, for the dead-letter topic. */
export interface Refused {
  /** Prefixed topic it was read from. */
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly event: EventEnvelope;
  readonly error: string;
}

/** deadLetters() keeps the newest this many (the topic keeps them all). */
const KEPT = 1_000;

/** Writes refused messages to `<topic>.dlq`; keeps the newest for deadLetters(), logs and reports each. */
export class KafkaDeadLetterSink {
  private readonly kept: DeadLetter[] = [];

  constructor(
    private readonly send: (topic: string, messages: Message[]) => Promise<void>,
    private readonly prefix: string,
    private readonly log: BusLogger,
  ) {}

  get letters(): readonly DeadLetter[] {
    return this.kept;
  }

  /** Rejects if the write failed (the message is then retried, nothing committed). */
  async write(group: string, r: Refused, onDeadLetter: SubscribeOptions['onDeadLetter']): Promise<void> {
    const { topic, partition, message, event, error } = r;
    await this.send(dlqTopicOf(topic), [deadLetterMessage(message, { topic, partition, offset: message.offset, group, error, attempts: 1 })]);
    const letter: DeadLetter = { group, event, error, attempts: 1, topic: topic.slice(this.prefix.length) };
    this.kept.push(letter);
    if (this.kept.length > KEPT) this.kept.splice(0, this.kept.length - KEPT);
    this.log.warn({ group, topic, partition, offset: message.offset, id: event.id, error }, 'dead-lettered');
    onDeadLetter?.(letter);
  }
}
