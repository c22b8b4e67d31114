import type { SubscribeOptions } from '@chat/shared/events/event-bus';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { EsMessageIndex } from './es-message-index';

/**
 * The search service's subscription (group "search", topic "room"): each
 * consumed batch is one `_bulk` request (docs/adr/0012); `handler` is the
 * per-event fallback the bus uses to isolate a poison event.
 */
export function searchSubscription(index: EsMessageIndex, onConsumed: (events: number) => void = () => {}): SubscribeOptions {
  return {
    group: 'search',
    topics: ['room'],
    handler: async (e) => {
      await index.apply(e.payload as TimelineEvent);
      onConsumed(1);
    },
    handleBatch: async (events) => {
      const failures = await index.applyBatch(events.map((e) => e.payload as TimelineEvent));
      onConsumed(events.length);
      return failures.map((f) => ({ event: events[f.index]!, error: f.error }));
    },
  };
}
