import t from 'tap';
import { mentionedUsernames } from '../src/mentions';

t.test('mentions: @username anywhere, case-insensitive, once each', async (t) => {
  t.same(mentionedUsernames('hey @Alice and @bob_1, @alice again'), ['alice', 'bob_1']);
  t.same(mentionedUsernames('@kim.min-su: 안녕'), ['kim.min-su']);
  t.same(mentionedUsernames('mail me at me@example.com'), [], 'an e-mail address is not a mention');
  t.same(mentionedUsernames('@ab is too short, @'), []);
  t.same(mentionedUsernames('(@carol)'), ['carol']);
});
