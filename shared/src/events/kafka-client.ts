import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import type { LogEntry, logLevel as LogLevel } from 'kafkajs';
import type { KafkaEventBusOptions } from './kafka-options';

/**
 * kafkajs's console log format, minus two kinds of noise: the warning that the
 * idempotent producer's retries are bounded (deliberate: publish() must fail
 * eventually, see the ADR) and the ERROR line kafkajs writes for every error
 * response (e.g. NOT_LEADER_FOR_PARTITION during an election), which its own
 * retries then handle; those are shown from INFO up. Failures that survive the
 * retries still surface as errors (crash, rejected publish).
 */
function kafkaLogCreator(configured: LogLevel) {
  return ({ namespace, level, label, log }: LogEntry) => {
    if (namespace === 'Producer' && log.message.startsWith('Limiting retries for the idempotent producer')) return;
    if (namespace === 'Connection' && log.message.startsWith('Response ') && configured < KafkaLogLevel.INFO) return;
    const line = JSON.stringify({ ...log, level: label, logger: 'kafkajs', message: `[${namespace}] ${log.message}` });
    if (level === KafkaLogLevel.ERROR) console.error(line);
    else if (level === KafkaLogLevel.WARN) console.warn(line);
    else console.info(line);
  };
}

/** The kafkajs client of a bus: its brokers, timeouts and log filter. */
export function createKafkaClient(options: KafkaEventBusOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.logLevel ?? KafkaLogLevel.WARN,
    logCreator: kafkaLogCreator,
    connectionTimeout: options.connectionTimeout ?? 3_000,
    requestTimeout: options.requestTimeout ?? 30_000,
    retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retries fn on kafkajs errors marked retriable (NOT_LEADER_FOR_PARTITION right after a topic is created, elections). */
export async function retryingRetriable<T>(fn: () => Promise<T>, attempts = 8, baseMs = 50): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retriable = (err as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= attempts) throw err;
      await sleep(Math.min(2_000, baseMs * 2 ** (attempt - 1)));
    }
  }
}
