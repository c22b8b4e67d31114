import t from 'tap';
import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import { endOf, RecentDepartures } from '../src/membership';

const base = { roomId: 'r', actorId: 'a', occurredAt: '' };
const left = (seq: number, userId: string) => ({ ...base, seq, type: 'member.left', userId }) as TimelineEvent;
const joined = (seq: number, userId: string) => ({ ...base, seq, type: 'member.joined', member: { userId, role: 'member', joinedAt: '' } }) as TimelineEvent;
const deleted = (seq: number) => ({ ...base, seq, type: 'room.deleted' }) as TimelineEvent;

t.test('where a view ends: at the own member.left, before room.deleted, nowhere for others', async (t) => {
  t.same(endOf(left(5, 'u'), 'u'), { last: 5, reason: 'removed' });
  t.equal(endOf(left(5, 'v'), 'u'), undefined);
  t.same(endOf(deleted(9), 'u'), { last: 8, reason: 'room.deleted' });
  t.equal(endOf(joined(3, 'u'), 'u'), undefined);
});

t.test('recent departures: remembered per room and user, forgotten by a later join, bounded', async (t) => {
  const d = new RecentDepartures(2);
  d.note(left(5, 'u'));
  t.same(d.endFor('r', 'u'), { last: 5, reason: 'removed' });
  t.equal(d.endFor('r', 'v'), undefined);
  d.note(joined(4, 'u'));
  t.ok(d.endFor('r', 'u'), 'an older join changes nothing');
  d.note(joined(7, 'u'));
  t.equal(d.endFor('r', 'u'), undefined, 'back in the room');
  d.note(deleted(9));
  t.same(d.endFor('r', 'anyone'), { last: 8, reason: 'room.deleted' });
  d.note({ ...left(1, 'x'), roomId: 'r2' } as TimelineEvent);
  d.note({ ...left(1, 'y'), roomId: 'r3' } as TimelineEvent);
  t.equal(d.endFor('r', 'anyone'), undefined, 'the oldest entry gives way');
  const aged = new RecentDepartures(10, -1);
  aged.note(left(5, 'u'));
  t.equal(aged.endFor('r', 'u'), undefined, 'entries expire');
});
