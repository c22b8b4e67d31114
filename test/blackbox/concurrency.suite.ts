import type { Test } from 'tap';
import { cmid, PASSWORD, uname, type Body } from './client';
import { describeSeqs, isGapless, openWs, type Ctx } from './harness';

/** Many writers at once: one gapless order for every subscriber, history matches, idempotency under races. */
export function concurrencySuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('concurrent WS and HTTP senders: every subscriber sees the same gapless order; history matches the acks', async (t) => {
    const users = await a.users(5);
    const [owner, ...rest] = users;
    const room = await a.group(owner!, rest.map((u) => u.user.id));
    const start = room.lastSeq as number;
    const subs = await Promise.all(users.map((u) => openWs(t, ctx, u.accessToken)));
    await Promise.all(subs.map((c) => c.subscribe(room.id)));
    const perSender = 25;
    const acks: Array<{ clientMsgId: string; messageId: string; seq: number }> = [];
    const wsSenders = users.slice(0, 3).map(async (u, i) => {
      const c = subs[i]!;
      const ids = Array.from({ length: perSender }, () => cmid());
      const answers = await Promise.all(ids.map((id) => c.sendMessage(room.id, id, `ws ${u.user.username} ${id}`, 20_000)));
      for (const f of answers) {
        if (f.type === 'ack') acks.push({ clientMsgId: f.clientMsgId, messageId: f.messageId, seq: f.seq });
        else t.fail(`not acked: ${JSON.stringify(f)}`);
      }
    });
    const httpSenders = users.slice(3).map(async (u) => {
      const ids = Array.from({ length: perSender }, () => cmid());
      const ms = await Promise.all(ids.map((id) => a.post(u, room.id, `http ${u.user.username} ${id}`, id)));
      for (const m of ms) acks.push({ clientMsgId: m.clientMsgId, messageId: m.id, seq: m.seq });
    });
    await Promise.all([...wsSenders, ...httpSenders]);
    const total = perSender * users.length;
    t.equal(acks.length, total, 'every send acknowledged');
    const end = start + total;
    t.same([...acks.map((x) => x.seq)].sort((x, y) => x - y), Array.from({ length: total }, (_, i) => start + 1 + i), 'acks hold distinct seqs start+1..end');
    const streams = await Promise.all(subs.map((c) => c.eventsUntil(room.id, end, 30_000)));
    for (const [i, frames] of streams.entries()) {
      const seqs = frames.map((f: Body) => f.seq as number);
      t.ok(isGapless(seqs, start + 1, end), `subscriber ${i}: gapless ${describeSeqs(seqs)}`);
    }
    const ids = streams.map((frames) => frames.map((f: Body) => f.event.message?.id).join(','));
    t.ok(ids.every((x) => x === ids[0]), 'all subscribers saw the same messages at the same seqs');
    const history = await a.allMessages(owner!, room.id);
    t.equal(history.length, total, 'history holds every message once');
    const bySeq = new Map(history.map((m: Body) => [m.seq, m]));
    t.ok(acks.every((x) => bySeq.get(x.seq)?.id === x.messageId && bySeq.get(x.seq)?.clientMsgId === x.clientMsgId), 'each ack matches history');
    const timeline = await a.timeline(owner!, room.id);
    t.ok(isGapless(timeline.map((e: Body) => e.seq), 1, end), 'GET /events is gapless 1..end');
    t.same(streams[0]!.map((f: Body) => f.event), timeline.slice(start), 'WS events equal the HTTP timeline');
  });

  t.test('the same clientMsgId sent concurrently over HTTP and WS makes exactly one message', async (t) => {
    const s = await a.register();
    const room = await a.group(s);
    const sockets = await Promise.all([0, 1, 2].map(() => openWs(t, ctx, s.accessToken)));
    for (let round = 0; round < 5; round++) {
      const id = cmid();
      const http = Array.from({ length: 6 }, (_, i) => a.req('POST', `/v1/rooms/${room.id}/messages`, { token: s.accessToken, body: { clientMsgId: id, body: `h${i}` } }));
      const ws = sockets.map((c, i) => c.sendMessage(room.id, id, `w${i}`, 10_000));
      const [hr, wr] = await Promise.all([Promise.all(http), Promise.all(ws)]);
      const statuses = hr.map((r) => r.status);
      t.ok(statuses.every((x) => x === 200 || x === 201), `round ${round}: HTTP ${statuses.join(',')}`);
      const msgIds = new Set([...hr.map((r) => r.body.message?.id), ...wr.map((f) => f.messageId)]);
      t.equal(msgIds.size, 1, `round ${round}: one message id for every answer`);
      t.ok(statuses.filter((x) => x === 201).length <= 1, 'at most one 201');
    }
    t.equal((await a.allMessages(s, room.id)).length, 5, 'five messages in all');
    t.ok(isGapless((await a.timeline(s, room.id)).map((e: Body) => e.seq), 1, 7), 'timeline gapless 1..7');
  });

  t.test('both users creating their direct room at once get the same room', async (t) => {
    for (let round = 0; round < 3; round++) {
      const [x, y] = await a.users(2);
      const tries = [x, y, x, y].map((u, i) => a.req('POST', '/v1/rooms', { token: u!.accessToken, body: { type: 'direct', memberIds: [(i % 2 ? x : y)!.user.id] } }));
      const res = await Promise.all(tries);
      t.ok(res.every((r) => r.status === 200 || r.status === 201), `round ${round}: ${res.map((r) => r.status).join(',')}`);
      t.equal(new Set(res.map((r) => r.body.room?.id)).size, 1, 'one room');
      t.equal(res.filter((r) => r.status === 201).length, 1, 'exactly one 201');
      t.equal((await a.rooms(x!)).length, 1, 'x has one room');
    }
  });

  t.test('registering the same username concurrently: one 201, the rest 409', async (t) => {
    const name = uname();
    const res = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      a.req('POST', '/v1/auth/register', { body: { username: i % 2 ? name.toUpperCase() : name, password: PASSWORD } })));
    const statuses = res.map((r) => r.status).sort();
    t.same(statuses, [201, 409, 409, 409, 409, 409, 409, 409], statuses.join(','));
  });

  t.test('concurrent refreshes of one token: at most one succeeds', async (t) => {
    const s = await a.register();
    const res = await Promise.all(Array.from({ length: 6 }, () => a.refresh(s.refreshToken)));
    const ok = res.filter((r) => r.status === 200);
    t.ok(ok.length <= 1, `${res.map((r) => r.status).join(',')}`);
    t.ok(res.every((r) => r.status === 200 || r.status === 401), 'no other status');
  });

  t.test('concurrent member adds and role changes keep the timeline gapless', async (t) => {
    const [s, ...others] = await a.users(9);
    const room = await a.group(s!);
    await Promise.all(others.map((o) => a.addMember(s!, room.id, o.user.id, [200, 201])));
    await Promise.all(others.map((o) => a.setRole(s!, room.id, o.user.id, 'admin')));
    const tl = await a.timeline(s!, room.id);
    t.ok(isGapless(tl.map((e: Body) => e.seq), 1, 2 + others.length * 2), `gapless: ${describeSeqs(tl.map((e: Body) => e.seq))}`);
    t.equal((await a.room(s!, room.id)).memberCount, 9);
  });
}
