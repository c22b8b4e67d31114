import { ChatApiError } from './errors';

/**
 * A bounded push→pull queue behind an async iterator. When the consumer falls
 * `capacity` items behind, the iterator fails with BUFFER_OVERFLOW instead of
 * dropping items silently (a timeline must not have holes): the consumer can
 * resume from the last seq it saw with `GET /v1/rooms/:id/events?after=`.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  private failure: unknown;

  constructor(readonly capacity: number, private readonly onEnd: () => void = () => undefined) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /** Adds an item; false when the queue has ended (or just ended by overflowing). */
  push(item: T): boolean {
    if (this.done) return false;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
      return true;
    }
    if (this.items.length >= this.capacity) {
      this.fail(new ChatApiError(0, 'BUFFER_OVERFLOW', `event iterator fell ${this.capacity} events behind`));
      return false;
    }
    this.items.push(item);
    return true;
  }

  /** Ends the iteration after the buffered items. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.onEnd();
    this.waiter?.resolve({ value: undefined, done: true });
    this.waiter = undefined;
  }

  /** Ends the iteration with an error, after the buffered items. */
  fail(err: unknown): void {
    if (this.done) return;
    this.failure = err;
    this.done = true;
    this.onEnd();
    this.waiter?.reject(err);
    this.waiter = undefined;
  }

  get size(): number {
    return this.items.length;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.done) {
      if (this.failure !== undefined) {
        const f = this.failure;
        this.failure = undefined;
        return Promise.reject(f);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
