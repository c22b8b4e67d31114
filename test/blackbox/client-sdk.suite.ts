import type { Test } from 'tap';
import WebSocket from 'ws';
import { ChatHttpClient, RealtimeClient, type RoomEvent } from '@sturdy-chat/client';
import { eventually, uname, PASSWORD } from './client';
import type { Ctx } from './harness';

/** `ws`, remembering its sockets so that a test can cut one underneath the client (it sees 1006). */
function trackedWebSocket() {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { Tracked, sockets };
}

/**
 * The client package (@sturdy-chat/client) against the running server, as an
 * application would use it: typed HTTP, and a realtime client that resumes on
 * its own. The same suite runs against every target, Phase 3 included.
 */
export function clientSdkSuite(t: Test, ctx: Ctx): void {
  const user = async () => {
    const http = new ChatHttpClient({ baseUrl: ctx.api.baseUrl });
    await http.register({ username: uname(), password: PASSWORD });
    return http;
  };
  const realtime = (t: Test, http: ChatHttpClient) => {
    const { Tracked, sockets } = trackedWebSocket();
    const rt = new RealtimeClient({ url: ctx.wsUrl, tokens: http.session, WebSocket: Tracked, backoff: { initialMs: 100, maxMs: 1000 } });
    t.teardown(() => rt.close());
    return { rt, sockets };
  };

  t.test('SDK: ordered delivery to another user, a socket cut underneath resumes with no gap and no repeat, one message per send', async (t) => {
    const alice = await user();
    const bob = await user();
    const room = await alice.createRoom({ type: 'group', name: 'sdk', memberIds: [(await bob.me()).id] });
    const a = realtime(t, alice);
    const b = realtime(t, bob);
    await Promise.all([a.rt.connect(), b.rt.connect()]);
    const got: RoomEvent[] = [];
    b.rt.onRoom(room.id, (e) => got.push(e));
    await b.rt.subscribe(room.id);

    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await a.rt.send(room.id, `before ${i}`));
    await eventually(async () => got.length, (n) => n >= 5, 10_000);
    b.sockets[0]!.terminate();
    for (let i = 0; i < 10; i++) acks.push(await a.rt.send(room.id, `during ${i}`));
    await eventually(async () => got.length, (n) => n >= 15, 15_000);

    const posted = got.filter((e) => e.event.type === 'message.posted');
    t.same(posted.map((e) => e.seq), acks.map((x) => x.seq), 'bob saw every acked message once, in seq order');
    t.ok(got.every((e, i) => i === 0 || e.seq === got[i - 1]!.seq + 1), 'gapless');
    t.ok(b.sockets.length >= 2, 'bob reconnected by itself');
    const page = await bob.listMessages(room.id, { limit: 100 });
    t.equal(page.messages.length, 15, 'one message per send');
  });
}
