/** What to do with an event frame of a room, given the last seq delivered for it. */
export type SeqVerdict = 'deliver' | 'duplicate' | 'gap';

/**
 * Per-room high-water mark of delivered seqs: never delivers a seq ≤ the last
 * delivered one, and reports a gap (seq > last + 1) so the caller can resubscribe
 * from `last` instead of delivering out of order.
 */
export class SeqTracker {
  private readonly last = new Map<string, number>();

  /** The last seq delivered for the room, or undefined when none is known yet. */
  lastSeq(roomId: string): number | undefined {
    return this.last.get(roomId);
  }

  /** Sets the starting point (a `subscribed` frame's lastSeq, or the caller's sinceSeq) unless one is known already. */
  start(roomId: string, seq: number): void {
    if (!this.last.has(roomId)) this.last.set(roomId, seq);
  }

  /** Judges an incoming seq; `deliver` moves the mark to it. */
  offer(roomId: string, seq: number): SeqVerdict {
    const last = this.last.get(roomId);
    if (last !== undefined && seq <= last) return 'duplicate';
    if (last !== undefined && seq > last + 1) return 'gap';
    this.last.set(roomId, seq);
    return 'deliver';
  }

  forget(roomId: string): void {
    this.last.delete(roomId);
  }
}
