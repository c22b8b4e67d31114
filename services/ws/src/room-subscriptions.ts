import { NotFoundError } from '@chat/shared/kernel/errors';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { earlier, endOf, type EndReason, type RecentDepartures, type ViewEnd } from './membership';
import type { RoomIndex } from './room-index';
import { RoomSubscription, type ReplayQueue, type SubscriptionSink } from './room-subscription';

/** What subscribing needs of a socket. */
export interface Subscriber extends SubscriptionSink, ReplayQueue {
  readonly userId: string | undefined;
  send(frame: object): boolean;
}

/**
 * Subscribe and unsubscribe, all or nothing: a subscribe either answers
 * `subscribed` with its subscription installed and started, or throws (the
 * socket gets an error frame for that room) with nothing of it left behind,
 * so a retry starts from its own sinceSeq as if the first never happened.
 */
export class RoomSubscriptions<C extends Subscriber> {
  constructor(
    private readonly index: RoomIndex<C>,
    private readonly queries: Pick<RoomQueries, 'roleOf' | 'lastSeq' | 'membershipChanges'>,
    private readonly departures: RecentDepartures,
    /** Resolves once live events of the room reach this instance (its room channel subscribed); never rejects. */
    private readonly live: (roomId: string) => Promise<void> = async () => undefined,
  ) {}

  async subscribe(c: C, roomId: string, sinceSeq: number | undefined): Promise<void> {
    const userId = c.userId!;
    const current = this.index.get(c, roomId);
    if (current && !current.closed) {
      // Subscribed already (and still a member: a removal ends the subscription). Reads nothing:
      // a position at or behind what was sent costs nothing, one ahead only skips forward.
      current.moveTo(sinceSeq ?? current.head);
      if (current.closed) throw new NotFoundError('room'); // past the removal it knew of: it ended (unsubscribed sent)
      c.send({ type: 'subscribed', roomId, lastSeq: current.head });
      return;
    }
    // Installed before anything is read, pending: a removal published from now on is noted by it.
    const sub = RoomSubscription.pending(roomId, userId, c, c);
    this.index.add(c, sub);
    try {
      // lastSeq is read once live events flow: whatever comes after it arrives live (or as a gap, repaired from the store).
      await this.live(roomId);
      const lastSeq = await this.queries.lastSeq(roomId);
      // Membership is read after lastSeq: a removal this answer misses has a seq past lastSeq, which the subscription will meet.
      const role = await this.queries.roleOf(roomId, userId);
      let known = earlier(this.departures.endFor(roomId, userId), sub.knownEnd);
      // A removal seen live may have been followed by an add back that has not reached this instance yet: the store says.
      if (known?.reason === 'removed' && role && lastSeq > known.last) known = await this.endAfter(roomId, userId, known, lastSeq);
      sub.setEnd(known, lastSeq);
      const from = Math.min(sinceSeq ?? lastSeq, lastSeq);
      if (!role || sub.endsBy(from)) throw new NotFoundError('room');
      if (this.index.get(c, roomId) !== sub) return; // the socket closed meanwhile: nobody to answer
      c.send({ type: 'subscribed', roomId, lastSeq });
      // The replay streams in the background, paced by the socket's scheduler: later frames are not held behind it.
      // A member now: a removal of theirs the replay meets is history if they came back (the store says).
      sub.start(from, lastSeq, async (left, upTo) => (await this.endAfter(roomId, userId, { last: left, reason: 'removed' }, upTo)) === undefined);
    } catch (err) {
      this.index.remove(c, roomId, sub);
      throw err;
    }
  }

  /** Where the user's view ends, reading the stored timeline from a known end up to `lastSeq`: none when they were added back since. */
  private async endAfter(roomId: string, userId: string, known: ViewEnd, lastSeq: number): Promise<ViewEnd | undefined> {
    let end: ViewEnd | undefined = known;
    if (known.last >= lastSeq) return end;
    // Only the user's own joins and leaves and the room's deletion: one query, however many messages lie between.
    for (const e of await this.queries.membershipChanges(roomId, userId, known.last, lastSeq)) {
      if (e.type === 'member.joined') end = undefined;
      else end = endOf(e, userId) ?? end;
      if (end?.reason === 'room.deleted') return end;
    }
    return end;
  }

  unsubscribe(c: C, roomId: string): void {
    this.index.remove(c, roomId);
    c.send({ type: 'unsubscribed', roomId });
  }

  /** A subscription reached the end of the user's view of the room: it is dropped, and the socket told why. */
  ended(c: C, sub: RoomSubscription, reason: EndReason): void {
    if (this.index.remove(c, sub.roomId, sub)) c.send({ type: 'unsubscribed', roomId: sub.roomId, reason });
  }
}
