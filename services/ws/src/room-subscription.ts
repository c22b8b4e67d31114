import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { Page } from '@chat/shared/ports/room-queries';
import { earlier, endOf, type EndReason, type ViewEnd } from './membership';

export interface SubscriptionSink {
  /** Sends one event frame; false if the socket is gone. */
  sendEvent(event: TimelineEvent): boolean;
  /** Resolves true once the socket has drained enough to take more replay; false if it closed. */
  drained(): Promise<boolean>;
  /** The subscription has ended at the user's removal or the room's deletion: nothing more follows. */
  ended(sub: RoomSubscription, reason: EndReason): void;
}

/** Where a subscription asks for replay pages: its socket's ReplayScheduler, which reads them when the budgets allow. */
export interface ReplayQueue {
  request(sub: RoomSubscription): void;
}

export type ReadAfter = (roomId: string, after: number, limit: number) => Promise<Page<TimelineEvent>>;

/**
 * Whether the user, removed at seq `left`, is in the room again at seq `upTo`
 * (the stored timeline says). Given by a subscribe that found the user a
 * member at `upTo`: an older removal of theirs is history, not the end.
 */
export type RejoinedBy = (left: number, upTo: number) => Promise<boolean>;

/** Where a new subscription stands until `start`: live events are only noted, the store fills in. */
const PENDING = Number.MAX_SAFE_INTEGER;

/**
 * One socket's subscription to one room: delivers each seq once, in order,
 * with no gaps, and nothing past the end of the user's view of the room (its
 * own member.left, the event before room.deleted), whether the events come
 * live or from a replay: every event goes out through `deliver`. Live events
 * that arrive while a replay runs, or after a gap, are fetched again from the
 * store. The replay's pages come from the socket's scheduler, at the pace the
 * socket drains and the budgets allow.
 */
export class RoomSubscription {
  private lastDelivered: number;
  /** The highest seq known to exist: lastSeq at subscribe, pages read, live events seen. */
  private seen: number;
  private replaying = false;
  private missedLive = false;
  private retryDelay = 100;
  /** Where the user's view of the room ends, once known. */
  private end: ViewEnd | undefined;
  /** Started for a member at this seq: their own member.left at or before it ends nothing if `rejoined` says so. */
  private memberAt = 0;
  private rejoined: RejoinedBy | undefined;
  closed = false;

  constructor(readonly roomId: string, readonly userId: string, startAfter: number, private readonly sink: SubscriptionSink, private readonly replays: ReplayQueue) {
    this.lastDelivered = startAfter;
    this.seen = startAfter === PENDING ? 0 : startAfter;
  }

  /** A subscription that only notes live events (how far they went, and a removal among them) until `start`. */
  static pending(roomId: string, userId: string, sink: SubscriptionSink, replays: ReplayQueue): RoomSubscription {
    return new RoomSubscription(roomId, userId, PENDING, sink, replays);
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

  /** True when a subscription starting after `after` would have nothing to deliver: the view ended there or before. */
  endsBy(after: number): boolean {
    return this.end !== undefined && after >= this.end.last;
  }

  /** The end known so far (learned live while pending, or given). */
  get knownEnd(): ViewEnd | undefined {
    return this.end;
  }

  /** Before `start`: the view ends at `end`, as a subscribe worked out up to `upTo`; an end learned past `upTo` still counts. */
  setEnd(end: ViewEnd | undefined, upTo: number): void {
    this.end = earlier(end, this.end && this.end.last > upTo ? this.end : undefined);
  }

  /** Their own removal at or before the seq they were found a member at: it ends the view only if they did not come back. */
  private past(event: TimelineEvent): boolean {
    return this.rejoined !== undefined && event.type === 'member.left' && event.userId === this.userId && event.seq <= this.memberAt;
  }

  /** The view ends at `end` (the earliest end known counts); a started subscription at or past it ends now. */
  learnEnd(end: ViewEnd): void {
    this.end = earlier(this.end, end);
    if (!this.closed && this.lastDelivered !== PENDING && this.lastDelivered >= this.end!.last) this.finish();
  }

  private finish(): void {
    this.closed = true;
    this.sink.ended(this, this.end!.reason);
  }

  /** Starts delivery after `after` (clamped to the room's lastSeq), replaying whatever is missing. */
  start(after: number, lastSeq: number, rejoined?: RejoinedBy): void {
    this.memberAt = lastSeq;
    this.rejoined = rejoined;
    if (lastSeq > this.seen) this.seen = lastSeq;
    this.lastDelivered = Math.min(after, this.seen);
    if (this.end) this.learnEnd(this.end);
    if (!this.closed && this.lastDelivered < this.seen) this.catchUp();
  }

  /**
   * A subscribe again to this room: moves the position forward to `after`
   * (never past what is known to exist, never back: nothing is sent twice).
   * It reads nothing; a replay under way goes on from the new position. A
   * position past a known end ends the subscription.
   */
  moveTo(after: number): void {
    const target = Math.min(after, this.seen);
    if (target > this.lastDelivered) this.lastDelivered = target;
    if (this.end) this.learnEnd(this.end);
  }

  /** Called for each live event of the room, in bus order. */
  onLive(event: TimelineEvent): void {
    if (this.closed) return;
    if (event.seq > this.seen) this.seen = event.seq;
    const end = endOf(event, this.userId);
    if (end && this.past(event)) this.endUnlessRejoined(end);
    else if (end) this.learnEnd(end);
    if (this.closed || event.seq <= this.lastDelivered) return;
    if (this.replaying) {
      this.missedLive = true;
      return;
    }
    if (event.seq === this.lastDelivered + 1) {
      this.deliver(event, this.past(event));
      return;
    }
    this.catchUp();
  }

  /** An old removal of theirs seen live: the store says whether it ends the view (it does if it cannot be read). */
  private endUnlessRejoined(end: ViewEnd): void {
    this.rejoined!(end.last, this.memberAt).then(
      (back) => back || this.learnEnd(end),
      () => this.learnEnd(end),
    );
  }

  /** The one way out for an event: in seq order, never after `unsubscribed`, never past the view's end. */
  private deliver(event: TimelineEvent, history = false): void {
    if (this.closed || event.seq !== this.lastDelivered + 1) return;
    const end = history ? undefined : endOf(event, this.userId);
    if (end) this.learnEnd(end); // room.deleted ends here, before the event
    if (this.closed || (this.end && event.seq > this.end.last)) return;
    if (!this.sink.sendEvent(event)) {
      this.closed = true;
      return;
    }
    this.lastDelivered = event.seq;
    if (this.end && this.lastDelivered >= this.end.last) this.finish();
  }

  /**
   * The store holds events up to `lastSeq` (read after events may have been
   * lost on the way here): a started subscription behind it catches up, a
   * pending one starts knowing of them.
   */
  catchUpTo(lastSeq: number): void {
    if (this.closed) return;
    if (lastSeq > this.seen) this.seen = lastSeq;
    if (this.lastDelivered === PENDING || this.lastDelivered >= lastSeq) return;
    if (this.replaying) this.missedLive = true;
    else this.catchUp();
  }

  /** Events may have been lost and the store's head is unknown: a started subscription reads the store after its position. */
  resync(): void {
    if (this.closed || this.lastDelivered === PENDING) return;
    if (this.replaying) this.missedLive = true;
    else this.catchUp();
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
    // Synchronous and throw-free: request() only queues (the scheduler's loop catches its own failures).
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
      this.deliver(event, this.past(event) && (await this.rejoined!(event.seq, this.memberAt).catch(() => false)));
    }
    if (this.closed) return false;
    if (!page.hasMore && !this.missedLive) {
      this.replaying = false;
      return false;
    }
    return true;
  }
}
