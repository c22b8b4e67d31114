import type { SubscribeOptions } from '@chat/shared/events/event-bus';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { CoalescingIndexWriter } from './coalescing-index-writer';
import type { EsMessageIndex } from './es-message-index';

/**
 * Partition batches handled at once: every partition of the room topic (12
 * today; room for more), so that a whole fetch becomes one `_bulk`.
 */
const PARTITIONS_AT_ONCE = 64;
/**
 * Each batch waits this long before it is indexed (SubscribeOptions.lingerMs), so that a fetch brings
 * many events: at 500 msgs/s, without it, nearly every event was a fetch and a `_bulk` of its own
 * (Elasticsearch 3.8 CPU-s per 10,000 messages, 0.9 with it). Searches see writes after the index's
 * next refresh (1 s) anyway.
 */
const INDEX_LINGER_MS = 100;

/**
 * The search service's subscription (group "search", topic "room"): the
 * partition batches consumed together are one `_bulk` request (docs/adr/0012);
 * `handler` is the per-event fallback the bus uses to isolate a poison event.
 */
export function searchSubscription(index: EsMessageIndex): SubscribeOptions {
  const writer = new CoalescingIndexWriter((events) => index.applyBatch(events));
  return {
    group: 'search',
    topics: ['room'],
    partitionsConcurrently: PARTITIONS_AT_ONCE,
    lingerMs: INDEX_LINGER_MS,
    handler: async (e) => {
      await index.apply(e.payload as TimelineEvent);
    },
    handleBatch: async (events) => {
      const failures = await writer.apply(events.map((e) => e.payload as TimelineEvent));
      return failures.map((f) => ({ event: events[f.index]!, error: f.error }));
    },
  };
}
