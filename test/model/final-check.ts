import type { Model, World } from './world';

/**
 * After a run: every subscriber catches up with its rooms, what they saw is
 * the server's timeline, every ack is a `message.posted` at its seq, and no
 * clientMsgId made a second message.
 */
export async function finalCheck(m: Model, w: World): Promise<void> {
  const owner = w.users[0]!;
  for (let room = 0; room < w.roomIds.length; room++) {
    const roomId = w.roomIds[room]!;
    const timeline = await w.api.timeline(owner, roomId);
    const seqs = timeline.map((e) => e.seq);
    if (!seqs.every((s, i) => s === i + 1)) throw new Error(`r${room}: timeline not gapless: ${seqs.join(',')}`);
    if (seqs.length !== m.lastSeq[room]) throw new Error(`r${room}: timeline ends at ${seqs.length}, the model at ${m.lastSeq[room]}`);
    for (const [slot, s] of w.sockets.entries()) {
      if (s && m.subscribed[slot]!.has(room)) await s.caughtUp(roomId, m.lastSeq[room]!);
    }
    for (const [seq, sig] of w.observed.get(roomId) ?? []) {
      const e = timeline[seq - 1];
      const want = `${e?.type}:${e?.message?.id ?? ''}`;
      if (sig !== want) throw new Error(`r${room}: a subscriber saw ${sig} at seq ${seq}, the timeline has ${want}`);
    }
    const sent = m.sent.filter((x) => x.room === room);
    for (const x of sent) {
      const e = timeline[x.seq - 1];
      if (e?.type !== 'message.posted' || e.message?.id !== x.messageId || e.message?.clientMsgId !== x.cmid) {
        throw new Error(`r${room}: ack ${x.cmid} → seq ${x.seq} ${x.messageId}, the timeline has ${JSON.stringify(e).slice(0, 200)}`);
      }
    }
    const messages = await w.api.allMessages(owner, roomId);
    const keys = messages.map((msg) => `${msg.senderId}/${msg.clientMsgId}`);
    if (new Set(keys).size !== keys.length) throw new Error(`r${room}: a clientMsgId made two messages: ${keys.join(' ')}`);
    if (messages.length !== sent.length) throw new Error(`r${room}: ${messages.length} messages, ${sent.length} acked`);
  }
  await new Promise((r) => setTimeout(r, 30));
  w.assertClean();
}
