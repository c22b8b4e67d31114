import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { Page } from '@chat/shared/ports/room-queries';

export interface SubscriptionSink {
  /** Sends one event frame; false if the socket is gone. */
  sendEvent(event: TimelineEvent): boolean;
  /** Resolves true once the socket has drained enough to take more replay; false if it closed. */
  drained(): Promise<boolean>;
}

/** Where a subscription asks for replay pages: its socket's ReplayScheduler, which reads them when the budgets allow. */
export interface ReplayQueue {
  request(sub: RoomSubscription): void;
}

export type ReadAfter = (roomId: string, after: number, limit: number) => Promise<Page<TimelineEvent>>;

/** Where a new subscription stands until `start`: live events are only noted, the store fills in. */
const PENDING = Number.MAX_SAFE_INTEGER;

/**
 * One socket's subscription to one room: delivers each seq once, in order,
 * with no gaps. Live events that arrive while a replay runs, or after a gap,
 * are fetched again from the store, which holds every event the bus carries.
 * The replay's pages come from the socket's scheduler, one at a time, at the
 * pace the socket drains and the budgets allow.
 */
export class RoomSubscription {
  private lastDelivered: number;
  /** The highest seq known to exist: lastSeq at subscribe, pages read, live events seen. */
  private seen: number;
  private replaying = false;
  private missedLive = false;
  private retryDelay = 100;
  closed = false;

  constructor(readonly roomId: string, startAfter: number, private readonly sink: SubscriptionSink, private readonly replays: ReplayQueue) {
    this.lastDelivered = startAfter;
    this.seen = startAfter === PENDING ? 0 : startAfter;
  }

  /** A subscription that ignores live events until `start` (it notes how far they went). */
  static pending(roomId: string, sink: SubscriptionSink, replays: ReplayQueue): RoomSubscription {
    return new RoomSubscription(roomId, PENDING, sink, replays);
  }

  close(): void {
    this.closed = true;
  }

  /** What has been sent (or handed to the socket) so far. */
  get position(): number {
    return this.lastDelivered;
  }

  /** The newest seq this subscription knows of: never behind `position`. */
  get head(): number {
    return Math.max(this.seen, this.lastDelivered === PENDING ? 0 : this.lastDelivered);
  }

  /** Starts delivery after `after` (clamped to the room's lastSeq), replaying whatever is missing. */
  start(after: number, lastSeq: number): void {
    if (lastSeq > this.seen) this.seen = lastSeq;
    this.lastDelivered = Math.min(after, this.seen);
    if (this.lastDelivered < this.seen) this.catchUp();
  }

  /**
   * A subscribe again to this room: moves the position forward to `after`
   * (never past what is known to exist, never back: nothing is sent twice).
   * It reads nothing; a replay under way goes on from the new position.
   */
  moveTo(after: number): void {
    const target = Math.min(after, this.seen);
    if (target > this.lastDelivered) this.lastDelivered = target;
  }

  /** Called for each live event of the room, in bus order. */
  onLive(event: TimelineEvent): void {
    if (this.closed) return;
    if (event.seq > this.seen) this.seen = event.seq;
    if (event.seq <= this.lastDelivered) return;
    if (this.replaying) {
      this.missedLive = true;
      return;
    }
    if (event.seq === this.lastDelivered + 1) {
      this.deliver(event);
      return;
    }
    this.catchUp();
  }

  private deliver(event: TimelineEvent): void {
    // A replay page may be mid-way when the client unsubscribes: nothing may follow `unsubscribed`.
    if (this.closed || event.seq !== this.lastDelivered + 1) return;
    if (this.sink.sendEvent(event)) this.lastDelivered = event.seq;
    else this.closed = true;
  }

  /** Asks for stored events after the current position; live events meanwhile only mark that more is to read. */
  catchUp(): void {
    if (this.replaying || this.closed) return;
    this.replaying = true;
    this.replays.request(this);
  }

  /** The scheduler is about to read a page: where it starts. Live events from now on call for another page. */
  beginRead(): number {
    this.missedLive = false;
    return this.lastDelivered;
  }

  /** The store could not be read (the message service restarting): asks again with backoff. */
  readFailed(): void {
    this.missedLive = true;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, 5000);
    setTimeout(() => {
      if (!this.closed) this.replays.request(this);
    }, delay).unref();
  }

  /**
   * Sends a page at the pace the socket drains; true when another page is
   * wanted (more stored, or live events came during the replay).
   */
  async deliverPage(page: Page<TimelineEvent>): Promise<boolean> {
    this.retryDelay = 100;
    for (const event of page.items) {
      if (this.closed) return false;
      if (event.seq > this.seen) this.seen = event.seq;
      if (event.seq <= this.lastDelivered) continue;
      if (!(await this.sink.drained())) {
        this.closed = true;
        return false;
      }
      this.deliver(event);
    }
    if (this.closed) return false;
    if (!page.hasMore && !this.missedLive) {
      this.replaying = false;
      return false;
    }
    return true;
  }
}
