import t from 'tap';
import { chatServer } from '@chat/shared/testing/chat-server';
import { api } from '../blackbox/client';
import { WsClient } from '../blackbox/ws-client';

/*
 * Found by the protocol model (ws-model.test.ts). A member removed and added
 * back, subscribing right after the add, was refused NOT_FOUND: the WS hub
 * remembers recent removals from the live timeline and refused on that memory
 * before the member.joined had reached it. And a member added back who
 * subscribes with a sinceSeq before their removal had the replay end at that
 * old member.left with `unsubscribed` (removed), though a member again.
 */
t.test('a member added back can subscribe at once', async (t) => {
  const server = chatServer('embedded', { PASSWORD_HASH_LOG_N: '10', RATE_LIMIT_ENABLED: 'false' });
  t.teardown(() => server.stop());
  await server.start();
  const a = api(await server.baseUrl);
  const wsUrl = await server.wsUrl;
  const refused: string[] = [];
  for (let i = 0; i < 20; i++) {
    const [owner, member] = await a.users(2);
    const room = await a.group(owner!, [member!.user.id]);
    const ws = await WsClient.ready(wsUrl, member!.accessToken);
    t.teardown(() => ws.terminate());
    const path = `/v1/rooms/${room.id}/members`;
    await a.ok(204, 'DELETE', `${path}/${member!.user.id}`, { token: owner!.accessToken });
    await a.ok(201, 'POST', path, { token: owner!.accessToken, body: { userId: member!.user.id } });
    const f = await ws.subscribe(room.id);
    if (f.type !== 'subscribed') refused.push(JSON.stringify(f));
    else {
      // The stream goes on: the next message arrives live.
      const msg = await a.post(owner!, room.id, 'after the add');
      const [e] = await ws.eventsUntil(room.id, msg.seq);
      t.equal(e?.seq, msg.seq, `live event ${msg.seq} after subscribing`);
    }
    ws.terminate();
  }
  t.same(refused, [], 'every subscribe after the add answered subscribed');
});

t.test('a member added back replays past their old removal and stays subscribed', async (t) => {
  const server = chatServer('embedded', { PASSWORD_HASH_LOG_N: '10', RATE_LIMIT_ENABLED: 'false' });
  t.teardown(() => server.stop());
  await server.start();
  const a = api(await server.baseUrl);
  const [owner, member] = await a.users(2);
  const room = await a.group(owner!, [member!.user.id]);
  const path = `/v1/rooms/${room.id}/members`;
  await a.ok(204, 'DELETE', `${path}/${member!.user.id}`, { token: owner!.accessToken });
  await a.ok(201, 'POST', path, { token: owner!.accessToken, body: { userId: member!.user.id } });
  const ws = await WsClient.ready(await server.wsUrl, member!.accessToken);
  t.teardown(() => ws.terminate());
  const sub = await ws.subscribe(room.id, 0);
  t.equal(sub.type, 'subscribed');
  const msg = await a.post(owner!, room.id, 'after the add');
  const events = await ws.eventsUntil(room.id, msg.seq);
  t.same(events.map((e) => e.seq), Array.from({ length: msg.seq }, (_, i) => i + 1), 'every event from seq 1, the old member.left included, then the live one');
  t.same(await ws.quiet((f) => f.type === 'unsubscribed', 100), [], 'no unsubscribed');
});
