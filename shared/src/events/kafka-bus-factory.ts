import type { EventBus } from './event-bus';
import { KafkaEventBus } from './kafka-event-bus';
import type { KafkaEventBusOptions } from './kafka-options';

/**
 * Which Kafka client the bus runs on: kafkajs (the default) or
 * @platformatic/kafka, chosen by KAFKA_CLIENT while the two are compared
 * (docs/adr/0013-kafka-client.md). Both pass the same EventBus contract.
 */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** KAFKA_CLIENT, validated; unset or empty is kafkajs. */
export function kafkaClientOf(raw: string | undefined): KafkaClientName {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '') return 'kafkajs';
  if ((KAFKA_CLIENTS as readonly string[]).includes(value)) return value as KafkaClientName;
  throw new Error(`KAFKA_CLIENT must be one of ${KAFKA_CLIENTS.join(', ')}, got "${raw}"`);
}

/** What both Kafka buses offer beyond the port: readiness and the broker's lag. */
export interface KafkaBus extends EventBus {
  ping(): Promise<void>;
  consumerLag(group: string, topics?: readonly string[]): Promise<number>;
  topicName(topic: string): string;
}

/** KafkaEventBus.connect, or PlatformaticKafkaEventBus.connect (loaded only when chosen). */
export async function connectKafkaEventBus(options: KafkaEventBusOptions, client: KafkaClientName = kafkaClientOf(process.env.KAFKA_CLIENT)): Promise<KafkaBus> {
  if (client === 'platformatic') {
    const { PlatformaticKafkaEventBus } = await import('./platformatic/event-bus');
    return PlatformaticKafkaEventBus.connect(options);
  }
  return KafkaEventBus.connect(options);
}
