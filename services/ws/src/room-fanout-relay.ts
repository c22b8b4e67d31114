import type { Counter } from 'prom-client';
import type { EventBus, Subscription } from '@chat/shared/events/event-bus';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { RoomEventPublisher } from '@chat/shared/fanout/room-fanout';

/** The one consumer group that relays the room topic to Redis: its members (the ws instances) split the partitions. */
export const FANOUT_GROUP = 'ws-fanout';

/**
 * Kafka → Redis: each committed timeline event of the `room` topic is
 * published to its room's channel, in partition order (so in seq order per
 * room). A partition's batch is one Redis pipeline, and the partitions of a
 * fetch are relayed at once (not three at a time): an event at a time, the
 * bus's bookkeeping and a Redis round trip per event were a large share of
 * the ws service's CPU at 500 msgs/s. A failed publish fails
 * the batch: the bus retries it, and the room's later events wait (at least
 * once: a listener drops repeats by seq).
 */
export class RoomFanoutRelay {
  private sub: Subscription | undefined;

  constructor(private readonly bus: EventBus, private readonly publisher: RoomEventPublisher, private readonly published?: Counter) {}

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe({
      group: FANOUT_GROUP,
      topics: ['room'],
      // A new group starts at the newest event: what a client missed before comes from the store.
      fromLatest: true,
      partitionsConcurrently: 64,
      handler: async (e) => {
        await this.publisher.publish([e.payload as TimelineEvent]);
        this.published?.inc();
      },
      handleBatch: async (events) => {
        await this.publisher.publish(events.map((e) => e.payload as TimelineEvent));
        this.published?.inc(events.length);
      },
    });
  }

  async stop(): Promise<void> {
    await this.sub?.close();
  }
}
