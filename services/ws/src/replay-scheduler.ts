import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { DebtBucket, type ReplayLimits, type UserReplayBudget } from './replay-budget';
import type { ReadAfter, ReplayQueue, RoomSubscription } from './room-subscription';

export interface ReplaySocket {
  /** Resolves true once the socket's send buffer is low; false if it closed. */
  drained(): Promise<boolean>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** A first page this small whatever its events weigh; later pages follow the weight seen. */
const FIRST_PAGE_EVENTS = 16;

/**
 * One socket's replays: reads one page at a time for the socket's
 * subscriptions in turn, and only when the socket has drained and the
 * socket's and user's budgets allow. A socket that does not read gets no store
 * read at all; a subscription closed meanwhile is dropped, never read for.
 */
export class ReplayScheduler implements ReplayQueue {
  /** Subscriptions waiting for their next page, in turn order. */
  private readonly wanting = new Set<RoomSubscription>();
  private running = false;
  private readonly bytes: DebtBucket;
  /** Bytes of one event frame, as the last page weighed them. */
  private eventBytes: number;

  constructor(
    private readonly socket: ReplaySocket,
    private readonly user: UserReplayBudget,
    private readonly limits: ReplayLimits,
    private readonly readAfter: ReadAfter,
    private readonly frameBytes: (event: TimelineEvent) => number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.bytes = new DebtBucket(limits.socketBytesPerSecond, limits.socketBytesPerSecond);
    this.eventBytes = limits.pageBytes / FIRST_PAGE_EVENTS;
  }

  request(sub: RoomSubscription): void {
    this.wanting.add(sub);
    if (!this.running) void this.run();
  }

  /** True while a page is being waited for, read or sent (for tests). */
  get busy(): boolean {
    return this.running;
  }

  private next(): RoomSubscription | undefined {
    for (const sub of this.wanting) {
      if (!sub.closed) return sub;
      this.wanting.delete(sub);
    }
    return undefined;
  }

  private pageLimit(): number {
    return Math.max(1, Math.min(this.limits.maxPageEvents, Math.floor(this.limits.pageBytes / this.eventBytes)));
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.next()) {
        // Nothing is read while the socket is not draining, however many subscriptions want pages.
        if (!(await this.socket.drained())) {
          this.wanting.clear();
          return;
        }
        const wait = Math.max(this.bytes.waitMs(), this.user.bytes.waitMs(), this.user.time.waitMs());
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        const sub = this.next();
        if (!sub) return;
        this.wanting.delete(sub);
        if (await this.readFor(sub)) this.wanting.add(sub);
        await yieldToEventLoop();
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }

  /** Reads and sends one page for `sub`; true when it wants another. */
  private async readFor(sub: RoomSubscription): Promise<boolean> {
    await this.user.startRead();
    const started = performance.now();
    let page;
    let bytes = 0;
    try {
      if (sub.closed) return false;
      page = await this.readAfter(sub.roomId, sub.beginRead(), this.pageLimit());
      for (const event of page.items) bytes += this.frameBytes(event);
    } catch {
      sub.readFailed();
      return false;
    } finally {
      this.user.endRead(performance.now() - started);
    }
    this.bytes.charge(bytes);
    this.user.bytes.charge(bytes);
    if (page.items.length > 0) this.eventBytes = Math.max(1, bytes / page.items.length);
    return sub.deliverPage(page);
  }
}
