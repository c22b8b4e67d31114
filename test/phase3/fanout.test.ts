import t from 'tap';
import { exitWhenDone } from '@chat/shared/testing/exit-when-done';
import { Redis } from 'ioredis';
import { Phase3Cluster, phase3Available } from '@chat/shared/testing/phase3-cluster';
import { api, sleep, WsClient, type Body } from '../blackbox/client';

// A case that leaves a socket or a timer behind does not hold the file open.
exitWhenDone(t);

/**
 * Room events reach sockets over Redis pub/sub (ADR 0011): clients on both
 * ws instances see every event once and in order; messages lost on pub/sub
 * are caught up from the store; an instance listens only to the rooms its
 * sockets watch.
 */
const skip = phase3Available() ? false : 'needs DATABASE_URL (mysql), REDIS_URL, KAFKA_BROKERS and ELASTICSEARCH_URL';

/** Reconnects of the room-channel connection wait this long: what is published meanwhile is lost for good. */
const RECONNECT_DELAY_MS = 1500;

const metric = (cluster: Phase3Cluster, service: string, name: string) => cluster.metric(service, name);

function seqsOf(ws: WsClient, roomId: string): number[] {
  return ws.received.filter((f: Body) => f.type === 'event' && f.roomId === roomId).map((f: Body) => f.seq as number);
}

async function untilSeq(ws: WsClient, roomId: string, seq: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while ((seqsOf(ws, roomId).at(-1) ?? 0) < seq && Date.now() < deadline) await sleep(50);
  return seqsOf(ws, roomId);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

t.test('phase 3 fan-out over Redis pub/sub', { skip, timeout: 300_000 }, async (t) => {
  const cluster = new Phase3Cluster({ env: { WS_FANOUT_RECONNECT_DELAY_MS: String(RECONNECT_DELAY_MS) }, shape: { ws: 2, message: 1 } });
  t.teardown(() => cluster.stop());
  await cluster.start(120_000);
  const a = api(await cluster.baseUrl);
  const prefix = cluster.env.KAFKA_TOPIC_PREFIX!;
  const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  await redis.connect();
  t.teardown(() => redis.disconnect());
  const ws1 = await cluster.service('ws-1').wsUrl;
  const ws2 = await cluster.service('ws-2').wsUrl;

  /** Kills this cluster's room-channel connections (CLIENT KILL by id: other clusters on the same Redis are left alone). */
  async function killRoomChannelConnections(): Promise<number> {
    const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const ids = list
      .split('\n')
      .filter((l) => l.includes(` name=${prefix}ws-rooms-`))
      .map((l) => /id=(\d+)/.exec(l)![1]!);
    for (const id of ids) await redis.call('CLIENT', 'KILL', 'ID', id);
    return ids.length;
  }

  const [owner, m1, m2] = await a.users(3);
  const client = async (url: string, token: string) => {
    const c = await WsClient.ready(url, token);
    t.teardown(() => c.terminate());
    return c;
  };

  t.test('clients on both ws instances see every event once and in order', async (t) => {
    const room = await a.group(owner!, [m1!.user.id, m2!.user.id]);
    const c1 = await client(ws1, m1!.accessToken);
    const c2 = await client(ws2, m2!.accessToken);
    const { lastSeq } = await c1.subscribe(room.id);
    await c2.subscribe(room.id);
    let last = 0;
    // Some sends at once: batches in the writer, several events per Kafka fetch.
    for (let round = 0; round < 5; round++) {
      const posted = await Promise.all(range(1, 8).map((i) => a.post(owner!, room.id, `r${round} m${i}`)));
      last = Math.max(last, ...posted.map((p) => p.seq as number));
    }
    for (const c of [c1, c2]) t.same(await untilSeq(c, room.id, last, 10_000), range(lastSeq + 1, last), 'every seq once, in order');
  });

  t.test('events lost on pub/sub (room-channel connection killed) are caught up from the store: no gap, no repeat', async (t) => {
    const room = await a.group(owner!, [m1!.user.id, m2!.user.id]);
    const c1 = await client(ws1, m1!.accessToken);
    const c2 = await client(ws2, m2!.accessToken);
    const { lastSeq } = await c1.subscribe(room.id);
    await c2.subscribe(room.id);
    const first = await a.post(owner!, room.id, 'before');
    for (const c of [c1, c2]) await untilSeq(c, room.id, first.seq, 5000);
    const resyncs = (await metric(cluster, 'ws-1', 'ws_fanout_resyncs_total')) + (await metric(cluster, 'ws-2', 'ws_fanout_resyncs_total'));

    // The connections are down for RECONNECT_DELAY_MS: this message is published to nobody, and nothing follows it.
    t.equal(await killRoomChannelConnections(), 2, 'one room-channel connection per ws instance killed');
    const lost = await a.post(owner!, room.id, 'published while nobody listened');
    for (const c of [c1, c2]) t.same(await untilSeq(c, room.id, lost.seq, RECONNECT_DELAY_MS + 8000), range(lastSeq + 1, lost.seq), 'the lost message arrives after the reconnect, from the store');
    const after = (await metric(cluster, 'ws-1', 'ws_fanout_resyncs_total')) + (await metric(cluster, 'ws-2', 'ws_fanout_resyncs_total'));
    t.ok(after >= resyncs + 2, `each instance caught the room up after its reconnect (${after - resyncs})`);

    // A stream of sends while the connections keep being killed: messages lost in the middle show as seq gaps.
    let last = lost.seq as number;
    const sending = (async () => {
      for (let i = 0; i < 40; i++) last = Math.max(last, (await a.post(owner!, room.id, `stream ${i}`)).seq);
    })();
    for (let k = 0; k < 3; k++) {
      await sleep(300);
      await killRoomChannelConnections();
    }
    await sending;
    for (const c of [c1, c2]) t.same(await untilSeq(c, room.id, last, RECONNECT_DELAY_MS + 10_000), range(lastSeq + 1, last), 'gapless through the kills');

    // A repeat on the channel (a relay's at-least-once redelivery) reaches no client.
    const old = c1.received.find((f: Body) => f.type === 'event' && f.roomId === room.id)!.event;
    await redis.call('SPUBLISH', `${prefix}chat:room:${room.id}`, JSON.stringify(old));
    const next = await a.post(owner!, room.id, 'after the repeat');
    for (const c of [c1, c2]) t.same(await untilSeq(c, room.id, next.seq, 5000), range(lastSeq + 1, next.seq), 'no repeat');
  });

  t.test('an instance with no socket on a room receives none of its events', async (t) => {
    const room = await a.group(owner!, [m1!.user.id, m2!.user.id]);
    const c1 = await client(ws1, m1!.accessToken);
    const c2 = await client(ws2, m2!.accessToken);
    await c1.subscribe(room.id);
    // ws-2 watches the room for a moment, then its last socket there leaves: it unsubscribes from the room's channel.
    await c2.subscribe(room.id);
    c2.send({ type: 'unsubscribe', roomId: room.id });
    await c2.next((f: Body) => f.type === 'unsubscribed' && f.roomId === room.id, 5000, 'unsubscribed');
    await sleep(200);
    const before1 = await metric(cluster, 'ws-1', 'ws_room_events_received_total');
    const before2 = await metric(cluster, 'ws-2', 'ws_room_events_received_total');
    let last = 0;
    for (let i = 0; i < 10; i++) last = (await a.post(owner!, room.id, `only ws-1 ${i}`)).seq;
    await untilSeq(c1, room.id, last, 5000);
    await sleep(500);
    const got1 = (await metric(cluster, 'ws-1', 'ws_room_events_received_total')) - before1;
    const got2 = (await metric(cluster, 'ws-2', 'ws_room_events_received_total')) - before2;
    t.ok(got1 >= 10, `ws-1 (a socket on the room) received the room's events: ${got1}`);
    t.equal(got2, 0, 'ws-2 (no socket on the room) received none of them');
    t.equal(seqsOf(c2, room.id).filter((s) => s > 0 && s <= last).length, seqsOf(c2, room.id).length, 'c2 got nothing after unsubscribing');
    for (const s of ['ws-1', 'ws-2'] as const) {
      t.comment(`${s}: ws_room_events_received_total=${await metric(cluster, s, 'ws_room_events_received_total')} relayed (group ws-fanout)=${await metric(cluster, s, 'ws_fanout_published_total')}`);
    }
  });
});
