import t from 'tap';
import { wsFixture, sleep } from './support/ws-fixture';

// A member removed and added back: whether they came back is read from their own membership changes,
// not by paging through every message between the removal and the subscribe (an unbounded read before).
t.test('a member added back after thousands of messages subscribes with one membership read', async (t) => {
  const f = await wsFixture(t);
  f.rooms.create('r', ['owner', 'u']);
  const u = await f.connect('u');
  await f.rooms.append('r', { type: 'member.left', userId: 'u' }); // seen live: the hub remembers the removal
  await sleep(20);
  await f.rooms.post('r', 3000);
  // The add back is stored, and not yet on this instance's live timeline.
  await f.rooms.append('r', { type: 'member.joined', member: { userId: 'u', role: 'member', joinedAt: new Date().toISOString() } }, false);
  const calls: string[] = [];
  f.rooms.before = (method) => void calls.push(method);
  const answer = await u.subscribe('r');
  t.equal(answer.type, 'subscribed', 'a member again: subscribed');
  t.same(calls.filter((m) => m === 'membershipChanges'), ['membershipChanges'], 'one membership read');
  t.same(calls.filter((m) => m === 'eventsAfter'), [], 'no page of messages read to decide it');
});

t.test('removed and not added back: still refused, whatever lies between', async (t) => {
  const f = await wsFixture(t);
  f.rooms.create('r', ['owner', 'u']);
  const u = await f.connect('u');
  await f.rooms.append('r', { type: 'member.left', userId: 'u' });
  await sleep(20);
  await f.rooms.post('r', 50);
  f.rooms.staleMembers.add('u'); // a stale membership answer says member
  const answer = await u.subscribe('r');
  t.equal(answer.type, 'error');
  t.match(answer, { code: 'NOT_FOUND' });
});
