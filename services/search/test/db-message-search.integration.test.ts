import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { Db } from '@chat/shared/db/database';
import { searchForm } from '@chat/shared/kernel/text';
import { testDatabases } from '@chat/shared/testing/databases';
import { likePattern, searchMessages } from '../src/db-message-search';

t.test('LIKE wildcards in a query are literal', async (t) => {
  t.equal(likePattern('50%_off!'), '%50!%!_off!!%');
  t.equal(likePattern('ÄB'), '%äb%', 'lower-cased');
});

/** Seeds the message store's tables directly (the search module reads them; it does not write them). */
async function seed(db: Db) {
  const me = randomUUID();
  const stranger = randomUUID();
  const mine = randomUUID();
  const theirs = randomUUID();
  const now = Date.now();
  for (const [id, owner] of [[mine, me], [theirs, stranger]] as const) {
    await db.kysely.insertInto('rooms').values({ id, type: 'group', name: 'r', created_by: owner, created_at: now, last_seq: 0, last_event_at: now, member_count: 1, direct_key: null, deleted_at: null }).execute();
    await db.kysely.insertInto('members').values({ room_id: id, user_id: owner, role: 'owner', joined_at: now, last_read_seq: 0 }).execute();
  }
  let seq = 0;
  const put = async (roomId: string, sender: string, body: string, extra: { deleted?: boolean } = {}) => {
    seq++;
    await db.kysely.insertInto('messages').values({ id: randomUUID(), room_id: roomId, seq, sender_id: sender, client_msg_id: randomUUID(), body: extra.deleted ? '' : body, body_search: extra.deleted ? '' : searchForm(body), created_at: now + seq, edited_at: null, deleted: extra.deleted ? 1 : 0 }).execute();
  };
  await put(mine, me, '서버가 죽었어요');
  await put(mine, me, '채팅서버');
  await put(mine, me, 'Hello WORLD');
  await put(mine, me, '100% sure');
  await put(theirs, stranger, '서버 in a room I am not in');
  await put(mine, me, '서버 to delete', { deleted: true });
  await put(mine, me, 'new words');
  return { me };
}

for (const engine of testDatabases()) {
  t.test(`Korean-aware search on ${engine.name}`, async (t) => {
    const db = await engine.open();
    t.teardown(() => db.close());
    const { me } = await seed(db);
    const bodies = async (q: string) => (await searchMessages(db, { userId: me, q, limit: 20 })).map((m) => m.body);
    t.same(await bodies('서버'), ['채팅서버', '서버가 죽었어요'], 'a word inside a longer word, newest first, only my rooms, never deleted');
    t.same(await bodies('hello world'), ['Hello WORLD'], 'case-insensitive');
    t.same(await bodies('%'), ['100% sure'], '% is literal');
    t.same(await bodies('_'), [], '_ is literal');
    t.same(await bodies('new'), ['new words']);
    t.same(await bodies('\u1109\u1165\u1107\u1165'), ['채팅서버', '서버가 죽었어요'], 'a decomposed (NFD) query matches after NFC');
  });
}
