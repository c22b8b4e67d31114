import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { RoomState } from './room.state';

/** Applies one numbered timeline event to the room state (pure; returns the same object mutated copy-free for speed). */
export function evolve(state: RoomState, event: TimelineEvent): RoomState {
  state.lastSeq = event.seq;
  state.lastEventAt = event.occurredAt;
  switch (event.type) {
    case 'room.created':
    case 'room.updated':
      state.name = event.room.name;
      return state;
    case 'room.deleted':
      state.deleted = true;
      return state;
    case 'member.joined':
    case 'member.updated':
      state.members.set(event.member.userId, { role: event.member.role, joinedAt: event.member.joinedAt });
      return state;
    case 'member.left':
      state.members.delete(event.userId);
      return state;
    case 'message.posted':
    case 'message.edited':
    case 'message.deleted':
      return state;
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${(never as TimelineEvent).type}`);
    }
  }
}
