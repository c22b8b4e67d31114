import type { Counter, Histogram } from 'prom-client';
import type { EventBus, Subscription } from '@chat/shared/events/event-bus';
import { topicOf } from '@chat/shared/events/event-envelope';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { Background } from './background';
import type { RecentDepartures } from './membership';
import type { RoomIndex } from './room-index';
import type { SignalFanout, SignalTarget } from './signals';

export interface TimelineConsumerDeps<C extends SignalTarget> {
  bus: EventBus;
  group: string;
  index: RoomIndex<C>;
  departures: RecentDepartures;
  signals: SignalFanout<C>;
  background: Background;
  metrics: { delivered: Counter; sendDeliver: Histogram; received?: Counter };
  /**
   * 'bus' (default): room events come from the bus in this instance's own group.
   * 'external': they come from elsewhere (Redis room channels) through
   * `onTimeline`; the bus only brings signals.
   */
  timeline?: 'bus' | 'external';
}

/**
 * Stored timeline events from the bus to the subscriptions of the rooms'
 * watchers on this instance (each subscription decides what its socket may
 * get), and signals to the signal fan-out. One failing socket never makes
 * the bus deliver an event again to the others.
 */
export class TimelineConsumer<C extends SignalTarget> {
  private sub: Subscription | undefined;

  constructor(private readonly d: TimelineConsumerDeps<C>) {}

  async start(): Promise<void> {
    // One subscription for both topics: Kafka groups assume every member reads the same topics.
    // A new instance starts at the newest event; what a client missed comes from the store.
    this.sub = await this.d.bus.subscribe({
      group: this.d.group,
      topics: this.d.timeline === 'external' ? ['signal'] : ['room', 'signal'],
      fromLatest: true,
      handler: async (e) => (topicOf(e.type) === 'room' ? this.onTimeline(e.payload as TimelineEvent) : this.d.signals.deliver(e)),
    });
  }

  /** A stored timeline event of a room watched here (from the bus, or from a room channel). */
  onTimeline(event: TimelineEvent): void {
    this.d.metrics.received?.inc();
    if (event.type === 'message.posted') this.d.metrics.sendDeliver.observe(Math.max(0, Date.now() - Date.parse(event.message.createdAt)) / 1000);
    this.d.departures.note(event);
    for (const [, sub] of this.d.index.watchers(event.roomId)) {
      try {
        sub.onLive(event);
        this.d.metrics.delivered.inc();
      } catch (err) {
        this.d.background.report('live event delivery', err);
      }
    }
  }

  async stop(): Promise<void> {
    await this.sub?.close();
  }
}
