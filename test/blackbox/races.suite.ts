import type { Test } from 'tap';
import { sleep, WsClient, type Body } from './client';
import { describeSeqs, isGapless, openWs, type Ctx } from './harness';

/** Races a client can provoke: subscribing mid-stream, duplicate adds, deletes and edits at once. */
export function racesSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('subscribing while messages stream in: each subscriber gets a gapless run from its starting point', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    for (let i = 0; i < 20; i++) await a.post(s, room.id, `pre${i}`);
    let writing = true;
    const writers = [0, 1, 2].map(async (w) => {
      for (let i = 0; writing && i < 400; i++) await a.post(s, room.id, `w${w}-${i}`);
    });
    const runs: Array<{ from: number; client: WsClient; label: string }> = [];
    for (let i = 0; i < 8; i++) {
      await sleep(60);
      const client = await openWs(t, ctx, s.accessToken);
      const since = i % 2 === 0 ? undefined : Math.max(0, (await a.room(s, room.id)).lastSeq - 15);
      const sub = await client.subscribe(room.id, since);
      runs.push({ from: (since ?? sub.lastSeq) + 1, client, label: `subscriber ${i} (${since === undefined ? 'live' : `sinceSeq ${since}`})` });
    }
    await sleep(300);
    writing = false;
    await Promise.all(writers);
    const end = (await a.room(s, room.id)).lastSeq;
    for (const run of runs) {
      const seqs = (await run.client.eventsUntil(room.id, end, 30_000)).map((f) => f.seq as number);
      t.ok(isGapless(seqs, run.from, end), `${run.label}: ${run.from}..${end} without gap or repeat: ${describeSeqs(seqs)}`);
    }
  });

  t.test('unsubscribe and resubscribe with sinceSeq mid-stream loses nothing', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const c = await openWs(t, ctx, s.accessToken);
    await c.subscribe(room.id);
    const writer = (async () => { for (let i = 0; i < 150; i++) await a.post(s, room.id, `m${i}`); })();
    const seen: number[] = [];
    for (let round = 0; round < 5; round++) {
      await sleep(50);
      c.send({ type: 'unsubscribe', roomId: room.id });
      await c.next((f) => f.type === 'unsubscribed' && f.roomId === room.id);
      const got = c.queue.filter((f) => f.type === 'event' && f.roomId === room.id);
      c.queue.splice(0, c.queue.length, ...c.queue.filter((f) => !got.includes(f)));
      seen.push(...got.map((f) => f.seq as number));
      await c.subscribe(room.id, seen.at(-1) ?? 2);
    }
    await writer;
    // The writer may have finished before the last round: then everything is already in `seen`.
    if ((seen.at(-1) ?? 0) < 152) seen.push(...(await c.eventsUntil(room.id, 152, 20_000)).map((f) => f.seq as number));
    t.ok(isGapless(seen, 3, 152), `3..152 once each: ${describeSeqs(seen)}`);
  });

  t.test('adding the same member at once: one 201, the rest 200, one member.joined', async (t) => {
    const [s, b] = await a.users(2);
    const room = await a.group(s!);
    const res = await Promise.all(Array.from({ length: 6 }, () => a.req('POST', `/v1/rooms/${room.id}/members`, { token: s!.accessToken, body: { userId: b!.user.id } })));
    const statuses = res.map((r) => r.status).sort();
    t.same(statuses, [200, 200, 200, 200, 200, 201], statuses.join(','));
    const joins = (await a.timeline(s!, room.id)).filter((e: Body) => e.type === 'member.joined' && e.member.userId === b!.user.id);
    t.equal(joins.length, 1, 'one member.joined');
  });

  t.test('deleting the same message at once: all 204, one message.deleted', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const m = await a.post(s, room.id, 'x');
    const res = await Promise.all(Array.from({ length: 6 }, () => a.req('DELETE', `/v1/rooms/${room.id}/messages/${m.id}`, { token: s.accessToken })));
    t.same(res.map((r) => r.status), [204, 204, 204, 204, 204, 204]);
    t.equal((await a.timeline(s, room.id)).filter((e: Body) => e.type === 'message.deleted').length, 1);
  });

  t.test('concurrent edits: history holds the body of the last message.edited event', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const m = await a.post(s, room.id, 'v0');
    const res = await Promise.all(Array.from({ length: 8 }, (_, i) => a.req('PATCH', `/v1/rooms/${room.id}/messages/${m.id}`, { token: s.accessToken, body: { body: `v${i + 1}` } })));
    t.ok(res.every((r) => r.status === 200), 'all edits answered 200');
    const edits = (await a.timeline(s, room.id)).filter((e: Body) => e.type === 'message.edited');
    t.equal(edits.length, 8, 'one event per edit');
    t.equal((await a.allMessages(s, room.id))[0]?.body, edits.at(-1).message.body, 'history agrees with the newest edit event');
  });

  t.test('a delete racing edits: the message ends deleted and later edits are 404', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const m = await a.post(s, room.id, 'v0');
    const edits = Array.from({ length: 5 }, (_, i) => a.req('PATCH', `/v1/rooms/${room.id}/messages/${m.id}`, { token: s.accessToken, body: { body: `e${i}` } }));
    const del = a.req('DELETE', `/v1/rooms/${room.id}/messages/${m.id}`, { token: s.accessToken });
    const results = await Promise.all([...edits, del]);
    t.ok(results.slice(0, 5).every((r) => r.status === 200 || r.status === 404), `edits: ${results.slice(0, 5).map((r) => r.status).join(',')}`);
    t.equal(results[5]!.status, 204);
    t.match((await a.allMessages(s, room.id))[0], { deleted: true, body: '' });
    const tl = await a.timeline(s, room.id);
    const delAt = tl.findIndex((e: Body) => e.type === 'message.deleted');
    t.notOk(tl.slice(delAt + 1).some((e: Body) => e.type === 'message.edited'), 'no edit after the delete');
    t.notOk(JSON.stringify(tl).match(/"body":"e\d"/), 'every event about it is the tombstone');
  });
}
