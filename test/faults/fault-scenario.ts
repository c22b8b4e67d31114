import type { Test } from 'tap';
import { sleep, word, type Api } from '../blackbox/client';
import { describeSeqs, isGapless } from '../blackbox/harness';
import { FaultTraffic } from './fault-traffic';

export interface FaultTarget {
  readonly api: Api;
  readonly wsUrl: string;
  /** Exits nobody asked for, summed over the product's processes. */
  unexpectedExits(): number;
}

/** The figures of one run, for the issue note. */
export interface FaultFigures {
  scenario: string;
  acked: number;
  retries: number;
  lost: number;
  duplicated: number;
  listenerGaps: number;
  searchConvergedMs: number | undefined;
  unavailable: number;
  reconnects: number;
}

const until = async (ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return true;
    await sleep(250);
  }
  return ok();
};

/**
 * One fault under traffic: the stream runs, `fault` runs (a freeze or a kill
 * and restart of a dependency), an edit, a delete and a member's removal are
 * made while it is down, the stream goes on after, then everything must have
 * converged: every ack in history once, a gapless timeline, each listener saw
 * every seq once and in order, the removed member nothing after its removal,
 * search showing the edit and the delete, no 500s, no hangs, no exits.
 */
/** What a fault may use: the scenario's room, and a send that retries (same clientMsgId) until it is acknowledged. */
export interface FaultContext {
  readonly roomId: string;
  send(text: string): Promise<unknown>;
}

export async function runFaultScenario(t: Test, target: FaultTarget, scenario: string, fault: (context: FaultContext) => Promise<void>): Promise<FaultFigures> {
  const a = target.api;
  const [owner, m1, m2, removed] = await a.users(4);
  const room = await a.group(owner!, [m1!.user.id, m2!.user.id, removed!.user.id], `fault ${scenario}`);
  const traffic = new FaultTraffic(a, target.wsUrl, owner!, [m1!, m2!], removed!, room.id);
  const exitsBefore = target.unexpectedExits();
  const [oldWord, newWord, deletedWord] = [word(), word(), word()];
  const toEdit = await a.post(owner!, room.id, `before the fault ${oldWord}`);
  const toDelete = await a.post(owner!, room.id, `to be deleted ${deletedWord}`);
  traffic.start();
  await sleep(2000);

  const faulting = fault({ roomId: room.id, send: (text) => traffic.send(text) });
  await sleep(1000);
  // Made while the dependency is away: each retried until it is done, as a client would.
  const during = Promise.all([
    (async () => { while (!(await traffic.request('PATCH', `/v1/rooms/${room.id}/messages/${toEdit.id}`, owner!.accessToken, { body: `edited ${newWord}` }))) await sleep(500); })(),
    (async () => { while (!(await traffic.request('DELETE', `/v1/rooms/${room.id}/messages/${toDelete.id}`, owner!.accessToken))) await sleep(500); })(),
    traffic.removeMember(),
  ]);
  await faulting;
  const recoveredAt = Date.now();
  t.comment(`${scenario}: the fault is over; ${traffic.acked.size} acked so far`);
  await during;
  t.comment(`${scenario}: the edit, the delete and the removal are done`);
  const searchConverged = until(async () => {
    const edited = await a.search(owner!, { q: newWord, roomId: room.id });
    const old = await a.search(owner!, { q: oldWord, roomId: room.id });
    const deleted = await a.search(owner!, { q: deletedWord, roomId: room.id });
    return edited.status === 200 && edited.body.hits.length === 1 && old.status === 200 && old.body.hits.length === 0 && deleted.status === 200 && deleted.body.hits.length === 0;
  }, 90_000).then((ok) => (ok ? Date.now() - recoveredAt : undefined));
  await sleep(3000);
  await traffic.stop();
  t.comment(`${scenario}: traffic stopped`);

  const timeline = await a.timeline(owner!, room.id);
  const lastSeq = timeline.at(-1)?.seq ?? 0;
  t.ok(isGapless(timeline.map((e) => e.seq), 1, lastSeq), `the timeline is gapless (1..${lastSeq})`);
  await until(() => traffic.listeners.every((l) => l.last >= lastSeq), 60_000);
  await traffic.stopListeners();

  const history = await a.allMessages(owner!, room.id);
  const byClientId = new Map<string, number>();
  for (const m of history) byClientId.set(m.clientMsgId, (byClientId.get(m.clientMsgId) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  for (const [clientMsgId, ack] of traffic.acked) {
    const n = byClientId.get(clientMsgId) ?? 0;
    if (n === 0) lost++;
    if (n > 1) duplicated++;
    const stored = history.find((m) => m.clientMsgId === clientMsgId);
    if (stored && (stored.id !== ack.messageId || stored.seq !== ack.seq)) duplicated++;
  }
  t.ok(traffic.acked.size > 20, `messages were acknowledged (${traffic.acked.size}, ${traffic.retries.count} retries)`);
  t.equal(lost, 0, 'no acknowledged message is lost');
  t.equal(duplicated, 0, 'none is doubled or changed');

  let listenerGaps = 0;
  for (const [i, l] of traffic.listeners.entries()) {
    const ok = isGapless(l.seqs, 1, lastSeq);
    if (!ok) listenerGaps++;
    t.ok(ok, `listener ${i + 1} saw every seq once, in order (${describeSeqs(l.seqs)}; ${l.reconnects} reconnects)`);
  }
  const left = timeline.find((e) => e.type === 'member.left' && e.userId === removed!.user.id);
  t.ok(left, 'the member was removed');
  const after = traffic.removedListener.seqs.filter((s) => left && s > left.seq);
  t.same(after, [], `the removed member got nothing after its member.left (seq ${left?.seq})`);

  const searchConvergedMs = await searchConverged;
  t.ok(searchConvergedMs !== undefined, `search converged: the edit made during the outage is found, the old text and the deleted message are not (${searchConvergedMs} ms after recovery)`);

  t.same(traffic.outcomes.serverErrors, [], 'no request got a 5xx other than 503');
  t.equal(traffic.outcomes.timeouts, 0, `no request hung past the client timeout (10 s) ${traffic.outcomes.timedOut.join(', ')}`);
  t.equal(target.unexpectedExits() - exitsBefore, 0, 'no process of the product exited');
  const figures: FaultFigures = {
    scenario,
    acked: traffic.acked.size,
    retries: traffic.retries.count,
    lost,
    duplicated,
    listenerGaps,
    searchConvergedMs,
    unavailable: traffic.outcomes.unavailable,
    reconnects: traffic.listeners.reduce((n, l) => n + l.reconnects, 0),
  };
  t.comment(`figures: ${JSON.stringify(figures)}`);
  return figures;
}
