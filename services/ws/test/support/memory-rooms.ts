import type { EventBus } from '@chat/shared/events/event-bus';
import type { Role, TimelineEvent, TimelineEventDraft } from '@chat/shared/events/timeline-events';
import { NotFoundError } from '@chat/shared/kernel/errors';
import type { Page, RoomQueries } from '@chat/shared/ports/room-queries';

type Method = 'roleOf' | 'lastSeq' | 'eventsAfter' | 'membershipChanges' | 'roomIdsOf';

/**
 * A RoomQueries port over an in-memory timeline (a test double of the message
 * store). `append` stores an event and publishes it on the bus, as the writer
 * does. `before` runs ahead of every answer: a test makes a call fail or wait.
 */
export class MemoryRooms implements Pick<RoomQueries, Method> {
  private readonly rooms = new Map<string, { events: TimelineEvent[]; members: Map<string, Role>; deleted: boolean }>();
  /** Called before each answer; may throw or wait. */
  before: (method: Method, roomId: string) => void | Promise<void> = () => undefined;
  /** Membership answers from a stale cache: roleOf says `member` for these users whatever happened. */
  readonly staleMembers = new Set<string>();

  constructor(private readonly bus: EventBus) {}

  create(roomId: string, members: string[]): void {
    this.rooms.set(roomId, { events: [], members: new Map(members.map((m) => [m, 'member' as Role])), deleted: false });
  }

  private room(roomId: string) {
    const room = this.rooms.get(roomId);
    if (!room) throw new NotFoundError('room');
    return room;
  }

  /** Stores the next event of the room and publishes it (unless `publish` is false: a delayed bus). */
  async append(roomId: string, draft: Record<string, unknown> & { type: TimelineEventDraft['type'] }, publish = true): Promise<TimelineEvent> {
    const room = this.room(roomId);
    const event = { roomId, actorId: 'admin', occurredAt: new Date().toISOString(), ...draft, seq: room.events.length + 1 } as TimelineEvent;
    room.events.push(event);
    if (event.type === 'member.left') room.members.delete(event.userId);
    if (event.type === 'member.joined') room.members.set(event.member.userId, event.member.role);
    if (event.type === 'room.deleted') room.deleted = true;
    if (publish) await this.publish(event);
    return event;
  }

  async publish(event: TimelineEvent): Promise<void> {
    await this.bus.publish([{ id: `${event.roomId}:${event.seq}`, type: event.type, version: 1, key: event.roomId, occurredAt: event.occurredAt, payload: event }]);
  }

  /** Posts `n` messages; returns the last seq. */
  async post(roomId: string, n: number, publish = true): Promise<number> {
    let seq = 0;
    for (let i = 0; i < n; i++) {
      const id = `m${Math.random().toString(36).slice(2)}`;
      const message = { id, roomId, seq: 0, senderId: 'admin', clientMsgId: id, body: `message ${i}`, createdAt: new Date().toISOString(), editedAt: null, deleted: false };
      seq = (await this.append(roomId, { type: 'message.posted', message }, publish)).seq;
    }
    return seq;
  }

  async roleOf(roomId: string, userId: string): Promise<Role | null> {
    await this.before('roleOf', roomId);
    if (this.staleMembers.has(userId)) return 'member';
    const room = this.rooms.get(roomId);
    return room && !room.deleted ? (room.members.get(userId) ?? null) : null;
  }

  async lastSeq(roomId: string): Promise<number> {
    await this.before('lastSeq', roomId);
    return this.room(roomId).events.length;
  }

  async eventsAfter(roomId: string, after: number, limit: number): Promise<Page<TimelineEvent>> {
    await this.before('eventsAfter', roomId);
    const events = this.room(roomId).events;
    return { items: events.slice(after, after + limit), hasMore: events.length > after + limit };
  }

  async membershipChanges(roomId: string, userId: string, after: number, upTo: number): Promise<TimelineEvent[]> {
    await this.before('membershipChanges', roomId);
    return this.room(roomId)
      .events.slice(after, upTo)
      .filter((e) => e.type === 'room.deleted' || (e.type === 'member.left' && e.userId === userId) || (e.type === 'member.joined' && e.member.userId === userId));
  }

  async roomIdsOf(userId: string): Promise<string[]> {
    await this.before('roomIdsOf', '');
    return [...this.rooms].filter(([, r]) => !r.deleted && r.members.has(userId)).map(([id]) => id);
  }
}
