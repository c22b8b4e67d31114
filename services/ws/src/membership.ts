import type { TimelineEvent } from '@chat/shared/events/timeline-events';

export type EndReason = 'removed' | 'room.deleted';

/** Where a user's view of a room ends: `last` is the last seq it may get (its own member.left; the event before room.deleted). */
export interface ViewEnd {
  readonly last: number;
  readonly reason: EndReason;
}

/** The end of `userId`'s view of the room that `event` marks, if it marks one. */
export function endOf(event: TimelineEvent, userId: string): ViewEnd | undefined {
  if (event.type === 'room.deleted') return { last: event.seq - 1, reason: 'room.deleted' };
  if (event.type === 'member.left' && event.userId === userId) return { last: event.seq, reason: 'removed' };
  return undefined;
}

/** The earlier of two ends. */
export function earlier(a: ViewEnd | undefined, b: ViewEnd | undefined): ViewEnd | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.last < a.last ? b : a;
}

const ROOM = '\u0000room';

/**
 * Removals and deletions this instance has seen on the live timeline lately.
 * A membership answer can be stale (the writer updates the shared cache after
 * its commit; a failed update lives until the entry expires): a subscribe
 * after a removal this instance has already seen is refused whatever that
 * answer says. Bounded in entries and age (the cache's expiry).
 */
export class RecentDepartures {
  private readonly ends = new Map<string, { end: ViewEnd; at: number }>();

  constructor(private readonly maxEntries = 10_000, private readonly maxAgeMs = 10 * 60_000) {}

  /** Learns from one live timeline event (every room's, in order per room). */
  note(event: TimelineEvent): void {
    if (event.type === 'member.joined') {
      const key = `${event.roomId}\n${event.member.userId}`;
      const known = this.ends.get(key);
      if (known && known.end.last < event.seq) this.ends.delete(key);
      return;
    }
    const end = endOf(event, event.type === 'member.left' ? event.userId : ROOM);
    if (!end) return;
    const key = `${event.roomId}\n${event.type === 'member.left' ? event.userId : ROOM}`;
    this.ends.delete(key);
    this.ends.set(key, { end, at: Date.now() });
    if (this.ends.size > this.maxEntries) this.ends.delete(this.ends.keys().next().value!);
  }

  /** Where the user's view of the room ended, as far as this instance has seen. */
  endFor(roomId: string, userId: string): ViewEnd | undefined {
    return earlier(this.fresh(`${roomId}\n${ROOM}`), this.fresh(`${roomId}\n${userId}`));
  }

  private fresh(key: string): ViewEnd | undefined {
    const known = this.ends.get(key);
    if (known && Date.now() - known.at > this.maxAgeMs) {
      this.ends.delete(key);
      return undefined;
    }
    return known?.end;
  }
}
