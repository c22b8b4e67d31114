import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { Page } from '@chat/shared/ports/room-queries';

export interface SubscriptionSink {
  /** Sends one event frame; false if the socket is gone. */
  sendEvent(event: TimelineEvent): boolean;
  /** Resolves when the socket has drained enough to take more replay. */
  drained(): Promise<boolean>;
}

export type ReadAfter = (roomId: string, after: number, limit: number) => Promise<Page<TimelineEvent>>;

/**
 * One socket's subscription to one room: delivers each seq once, in order,
 * with no gaps. Live events that arrive while a replay runs, or after a gap,
 * are fetched again from the store, which holds every event the bus carries.
 */
export class RoomSubscription {
  private lastDelivered: number;
  private replaying = false;
  private missedLive = false;
  closed = false;

  close(): void {
    this.closed = true;
  }

  constructor(readonly roomId: string, startAfter: number, private readonly sink: SubscriptionSink, private readonly readAfter: ReadAfter) {
    this.lastDelivered = startAfter;
  }

  /** Sets where delivery starts (before the first catch-up). */
  reset(startAfter: number): void {
    this.lastDelivered = startAfter;
  }

  get position(): number {
    return this.lastDelivered;
  }

  /** Called for each live event of the room, in bus order. */
  onLive(event: TimelineEvent): void {
    if (this.closed || event.seq <= this.lastDelivered) return;
    if (this.replaying) {
      this.missedLive = true;
      return;
    }
    if (event.seq === this.lastDelivered + 1) {
      this.deliver(event);
      return;
    }
    void this.catchUp();
  }

  private deliver(event: TimelineEvent): void {
    // A replay page may be mid-way when the client unsubscribes: nothing may follow `unsubscribed`.
    if (this.closed || event.seq !== this.lastDelivered + 1) return;
    if (this.sink.sendEvent(event)) this.lastDelivered = event.seq;
    else this.closed = true;
  }

  /**
   * Streams stored events after the current position at the pace the socket
   * drains. If the store cannot be read (the message service restarting), it
   * tries again with backoff; live events meanwhile only mark the gap.
   */
  async catchUp(): Promise<void> {
    if (this.replaying || this.closed) return;
    this.replaying = true;
    let delay = 100;
    try {
      for (;;) {
        this.missedLive = false;
        let page: Page<TimelineEvent>;
        try {
          page = await this.readAfter(this.roomId, this.lastDelivered, 200);
        } catch {
          if (this.closed) return;
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5000);
          this.missedLive = true;
          continue;
        }
        delay = 100;
        for (const event of page.items) {
          if (this.closed) return;
          if (!(await this.sink.drained())) {
            this.closed = true;
            return;
          }
          this.deliver(event);
        }
        if (!page.hasMore && !this.missedLive) return;
      }
    } finally {
      this.replaying = false;
    }
  }
}
