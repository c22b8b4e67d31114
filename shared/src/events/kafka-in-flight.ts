export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves after ms or when `until` settles, whichever is first; the timer never outlives it. */
export async function waitAtMost(ms: number, until: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([until, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * The eachBatch calls of one subscription in progress, and the bounded wait
 * for them at close. When the wait gives up, `abandoned` is set (what finishes
 * later must not be committed) and `giveUp` resolves, which releases kafkajs
 * from a stuck eachBatch so the member can leave the group.
 */
export class KafkaInFlight {
  private readonly active = new Set<Promise<void>>();
  private abandonedNow = false;
  private release!: () => void;
  readonly giveUp = new Promise<void>((r) => (this.release = r));

  get abandoned(): boolean {
    return this.abandonedNow;
  }

  track(work: Promise<void>): Promise<void> {
    this.active.add(work);
    return work.finally(() => this.active.delete(work));
  }

  /** Waits for the calls in progress for up to `timeoutMs`; false if it gave up on some. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.active.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.abandonedNow = true;
        this.release();
        return false;
      }
      await waitAtMost(left, Promise.allSettled([...this.active]));
    }
    return true;
  }
}
