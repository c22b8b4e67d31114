import type { EventBus } from '@chat/shared/events/event-bus';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import type { Background } from './background';
import type { RoomIndex } from './room-index';
import type { UserSockets } from './user-sockets';

/** What a signal is sent to: a socket of some user. */
export interface SignalTarget {
  readonly userId: string | undefined;
  sendText(text: string): boolean;
}

/** Publishes a signal (typing, presence): not a timeline event, nothing stored. */
export function signalPublisher(publish: EventBus['publish']) {
  return (type: string, key: string, payload: object): Promise<void> =>
    publish([{ id: crypto.randomUUID(), type, version: 1, key, occurredAt: new Date().toISOString(), payload }]);
}

/** Signals from the bus to this instance's sockets: typing to a room's watchers, notifications to a user's sockets, presence to co-members. */
export class SignalFanout<C extends SignalTarget> {
  constructor(
    private readonly index: RoomIndex<C>,
    private readonly users: UserSockets<C>,
    private readonly queries: Pick<RoomQueries, 'roomIdsOf'>,
    private readonly background: Background,
  ) {}

  /** Never rejects: a rejection would hold the bus partition (and every signal behind it) until the store is back. */
  async deliver(e: EventEnvelope): Promise<void> {
    if (e.type === 'typing.started') {
      const { roomId, userId } = e.payload as { roomId: string; userId: string };
      const text = JSON.stringify({ type: 'typing', roomId, userId });
      for (const [c] of this.index.watchers(roomId)) if (c.userId !== userId) c.sendText(text);
      return;
    }
    if (e.type === 'notification.created') {
      const { userId, notification } = e.payload as { userId: string; notification: object };
      const text = JSON.stringify({ type: 'notification', notification });
      for (const c of this.users.of(userId)) c.sendText(text);
      return;
    }
    if (e.type === 'presence.changed') {
      const { userId, status } = e.payload as { userId: string; status: string };
      // The sockets subscribed to the user's rooms, each once: O(their members), not a scan of every socket.
      const text = JSON.stringify({ type: 'presence', userId, status });
      let roomIds: string[];
      try {
        roomIds = await this.queries.roomIdsOf(userId);
      } catch (err) {
        return this.background.report('presence fan-out (skipped)', err); // best effort: this frame is dropped
      }
      const told = new Set<C>();
      for (const roomId of roomIds) {
        for (const [c] of this.index.watchers(roomId)) {
          if (c.userId === userId || told.has(c)) continue;
          told.add(c);
          c.sendText(text);
        }
      }
    }
  }
}
