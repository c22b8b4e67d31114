import { sql } from 'kysely';
import type { Db } from '@chat/shared/db/database';
import { NotFoundError } from '@chat/shared/kernel/errors';
import type { MemberView, Role, RoomView, TimelineEvent } from '@chat/shared/events/timeline-events';
import type { RoomCache } from '@chat/shared/ports/room-cache';
import type { Page, RoomListCursor, RoomListPage, RoomQueries } from '@chat/shared/ports/room-queries';
import { iso, messageView } from './room.repository';

type RoomRow = { id: string; type: 'group' | 'direct'; name: string | null; created_by: string; created_at: number; last_seq: number; member_count: number };

function roomViewOf(r: RoomRow): RoomView {
  return { id: r.id, type: r.type, name: r.name, createdBy: r.created_by, createdAt: iso(Number(r.created_at)), lastSeq: Number(r.last_seq), memberCount: Number(r.member_count) };
}

/** Membership rows read per query by membershipChanges. */
const MEMBERSHIP_PAGE = 1000;

/** A change of this user's membership, or the room's deletion (which ends everyone's). */
function concernsMembershipOf(event: TimelineEvent, userId: string): boolean {
  if (event.type === 'room.deleted') return true;
  if (event.type === 'member.left') return event.userId === userId;
  return event.type === 'member.joined' && event.member.userId === userId;
}

const ROOM_COLUMNS = ['rooms.id', 'rooms.type', 'rooms.name', 'rooms.created_by', 'rooms.created_at', 'rooms.last_seq', 'rooms.member_count'] as const;

/** RoomQueries over the message store's tables, with membership through the RoomCache. */
export class DbRoomQueries implements RoomQueries {
  constructor(private readonly db: Db, private readonly cache: RoomCache) {}

  private get k() {
    return this.db.kysely;
  }

  async roleOf(roomId: string, userId: string): Promise<Role | null> {
    const cached = await this.cache.members(roomId).catch(() => null);
    if (cached) return cached[userId] ?? null;
    const room = await this.k.selectFrom('rooms').select(['deleted_at']).where('id', '=', roomId).executeTakeFirst();
    if (!room || room.deleted_at !== null) return null;
    const rows = await this.k.selectFrom('members').select(['user_id', 'role']).where('room_id', '=', roomId).execute();
    const members = Object.fromEntries(rows.map((r) => [r.user_id, r.role])) as Record<string, Role>;
    await this.cache.fillMembers(roomId, members).catch(() => undefined);
    return members[userId] ?? null;
  }

  private async mustBeMember(roomId: string, userId: string): Promise<Role> {
    const role = await this.roleOf(roomId, userId);
    if (!role) throw new NotFoundError('room');
    return role;
  }

  async room(roomId: string, userId: string): Promise<RoomView> {
    await this.mustBeMember(roomId, userId);
    const row = await this.k.selectFrom('rooms').select(ROOM_COLUMNS).where('id', '=', roomId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) throw new NotFoundError('room');
    return roomViewOf(row);
  }

  /**
   * One page of the user's rooms by keyset on (last_event_at, id), both
   * descending: the inner query walks the user's memberships (members_user)
   * into each room's row by primary key and keeps the top `limit + 1`; unread
   * counts are computed for those rows only, never for the whole list.
   */
  async roomsOf(userId: string, page: { limit: number; before?: RoomListCursor }): Promise<RoomListPage> {
    let inner = this.k
      .selectFrom('members')
      .innerJoin('rooms', 'rooms.id', 'members.room_id')
      .select([...ROOM_COLUMNS, 'members.last_read_seq', 'rooms.last_event_at'])
      .where('members.user_id', '=', userId)
      .where('rooms.deleted_at', 'is', null);
    const before = page.before;
    if (before) {
      inner = inner.where((eb) =>
        eb.or([eb('rooms.last_event_at', '<', before.activityAt), eb.and([eb('rooms.last_event_at', '=', before.activityAt), eb('rooms.id', '<', before.roomId)])]),
      );
    }
    const top = inner.orderBy('rooms.last_event_at', 'desc').orderBy('rooms.id', 'desc').limit(page.limit + 1);
    const rows = await this.k
      .selectFrom(top.as('p'))
      .selectAll('p')
      .select((eb) =>
        eb
          .selectFrom('messages')
          .select(sql<number>`count(*)`.as('n'))
          .whereRef('messages.room_id', '=', 'p.id')
          .whereRef('messages.seq', '>', 'p.last_read_seq')
          .where('messages.sender_id', '!=', userId)
          .where('messages.deleted', '=', 0)
          .as('unread'),
      )
      .orderBy('p.last_event_at', 'desc')
      .orderBy('p.id', 'desc')
      .execute();
    const hasMore = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => ({ ...roomViewOf(r), lastReadSeq: Number(r.last_read_seq), unreadCount: Number(r.unread ?? 0) })),
      hasMore,
      next: hasMore && last ? { activityAt: Number(last.last_event_at), roomId: last.id } : null,
    };
  }

  async members(roomId: string, userId: string): Promise<MemberView[]> {
    await this.mustBeMember(roomId, userId);
    const rows = await this.k.selectFrom('members').select(['user_id', 'role', 'joined_at']).where('room_id', '=', roomId).orderBy('joined_at').orderBy('user_id').execute();
    return rows.map((r) => ({ userId: r.user_id, role: r.role, joinedAt: iso(Number(r.joined_at)) }));
  }

  async messages(roomId: string, userId: string, c: { before?: number; after?: number; limit: number }): Promise<Page<ReturnType<typeof messageView>>> {
    await this.mustBeMember(roomId, userId);
    let q = this.k.selectFrom('messages').selectAll().where('room_id', '=', roomId).limit(c.limit + 1);
    if (c.after !== undefined) q = q.where('seq', '>', c.after).orderBy('seq', 'asc');
    else {
      if (c.before !== undefined) q = q.where('seq', '<', c.before);
      q = q.orderBy('seq', 'desc');
    }
    const rows = await q.execute();
    const hasMore = rows.length > c.limit;
    const page = rows.slice(0, c.limit).map(messageView);
    if (c.after === undefined) page.reverse();
    return { items: page, hasMore };
  }

  async events(roomId: string, userId: string, after: number, limit: number): Promise<Page<TimelineEvent>> {
    await this.mustBeMember(roomId, userId);
    return this.eventsAfter(roomId, after, limit);
  }

  /** The stored timeline after `after`, without a membership check (for replays the caller has already authorized). */
  async eventsAfter(roomId: string, after: number, limit: number): Promise<Page<TimelineEvent>> {
    const rows = await this.k.selectFrom('room_events').select(['payload']).where('room_id', '=', roomId).where('seq', '>', after).orderBy('seq', 'asc').limit(limit + 1).execute();
    return { items: rows.slice(0, limit).map((r) => JSON.parse(r.payload) as TimelineEvent), hasMore: rows.length > limit };
  }

  async membershipChanges(roomId: string, userId: string, after: number, upTo: number): Promise<TimelineEvent[]> {
    const changes: TimelineEvent[] = [];
    // Only membership rows are read (by type, on the room's seq range): pages of other members' joins and leaves, never its messages.
    for (let from = after; from < upTo; ) {
      const rows = await this.k
        .selectFrom('room_events')
        .select(['seq', 'payload'])
        .where('room_id', '=', roomId)
        .where('seq', '>', from)
        .where('seq', '<=', upTo)
        .where('type', 'in', ['member.joined', 'member.left', 'room.deleted'])
        .orderBy('seq', 'asc')
        .limit(MEMBERSHIP_PAGE)
        .execute();
      for (const row of rows) {
        const event = JSON.parse(row.payload) as TimelineEvent;
        if (concernsMembershipOf(event, userId)) changes.push(event);
      }
      if (rows.length < MEMBERSHIP_PAGE) break;
      from = Number(rows[rows.length - 1]!.seq);
    }
    return changes;
  }

  async markRead(roomId: string, userId: string, seq: number): Promise<void> {
    await this.mustBeMember(roomId, userId);
    const room = await this.k.selectFrom('rooms').select('last_seq').where('id', '=', roomId).executeTakeFirst();
    if (!room) throw new NotFoundError('room');
    const target = Math.min(seq, Number(room.last_seq));
    await this.k.updateTable('members').set({ last_read_seq: target }).where('room_id', '=', roomId).where('user_id', '=', userId).where('last_read_seq', '<', target).execute();
  }

  async coMembersOf(userId: string): Promise<string[]> {
    const rows = await this.k
      .selectFrom('members as mine')
      .innerJoin('members as other', 'other.room_id', 'mine.room_id')
      .innerJoin('rooms', 'rooms.id', 'mine.room_id')
      .select('other.user_id')
      .distinct()
      .where('mine.user_id', '=', userId)
      .where('rooms.deleted_at', 'is', null)
      .execute();
    return rows.map((r) => r.user_id);
  }

  async roomIdsOf(userId: string): Promise<string[]> {
    const rows = await this.k.selectFrom('members').innerJoin('rooms', 'rooms.id', 'members.room_id').select('members.room_id').where('members.user_id', '=', userId).where('rooms.deleted_at', 'is', null).execute();
    return rows.map((r) => r.room_id);
  }

  async lastSeq(roomId: string): Promise<number> {
    const cached = await this.cache.head(roomId).catch(() => null);
    if (cached !== null) return cached;
    const row = await this.k.selectFrom('rooms').select('last_seq').where('id', '=', roomId).executeTakeFirst();
    if (!row) throw new NotFoundError('room');
    await this.cache.putHead(roomId, Number(row.last_seq)).catch(() => undefined);
    return Number(row.last_seq);
  }
}
