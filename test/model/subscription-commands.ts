import { Base, dropSocket, expect, otherSocketOpen, presence, refused, userOf } from './command-base';
import { isMember, SLOT_USERS, type Model, type World } from './world';

/** Commands that change what a socket is subscribed to: subscribe, unsubscribe, bursts racing them, disconnect, reconnect, membership. */

export type SinceMode = 'none' | 'pos' | 'zero' | 'random';

export class Subscribe extends Base {
  constructor(readonly slot: number, readonly room: number, readonly mode: SinceMode, readonly r: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    // Again while subscribed: only the forms whose stream is unambiguous (continue where it is).
    return m.connected[this.slot]!;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    const roomId = w.roomIds[this.room]!;
    const sinceSeq = { none: undefined, pos: s.pos.get(roomId) ?? 0, zero: 0, random: this.r % (m.lastSeq[this.room]! + 1) }[this.mode];
    s.send({ type: 'subscribe', roomId, ...(sinceSeq === undefined ? {} : { sinceSeq }) });
    const f = await s.take((x) => (x.type === 'subscribed' || x.type === 'error') && x.roomId === roomId, `subscribed ${roomId}`);
    if (!isMember(m, userOf(this.slot), this.room)) return expect(f.type === 'error' && f.code === 'NOT_FOUND', 'subscribe by a non-member: NOT_FOUND', f);
    // Again while subscribed, lastSeq is what the subscription knows of: live events may still be on their way.
    const again = m.subscribed[this.slot]!.has(this.room);
    const ok = again ? f.lastSeq <= m.lastSeq[this.room]! : f.lastSeq === m.lastSeq[this.room];
    expect(f.type === 'subscribed' && ok, `subscribed with lastSeq ${again ? 'at most ' : ''}${m.lastSeq[this.room]}`, f);
    m.subscribed[this.slot]!.add(this.room);
  }
  toString(): string {
    return `subscribe(s${this.slot}, r${this.room}, ${this.mode}${this.mode === 'random' ? ` ${this.r}` : ''})`;
  }
}

export class Unsubscribe extends Base {
  constructor(readonly slot: number, readonly room: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]!;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    const roomId = w.roomIds[this.room]!;
    s.send({ type: 'unsubscribe', roomId });
    const f = await s.take((x) => (x.type === 'unsubscribed' || x.type === 'error') && x.roomId === roomId, `unsubscribed ${roomId}`);
    expect(f.type === 'unsubscribed', 'unsubscribe answers unsubscribed', f);
    m.subscribed[this.slot]!.delete(this.room);
  }
  toString(): string {
    return `unsubscribe(s${this.slot}, r${this.room})`;
  }
}

export class Disconnect extends Base {
  constructor(readonly slot: number, readonly hard: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]!;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    if (this.hard) s.terminate();
    else s.ws.close(1000);
    await s.waitClosed();
    await dropSocket(m, w, this.slot);
  }
  toString(): string {
    return `disconnect(s${this.slot}, ${this.hard ? 'terminate' : 'close'})`;
  }
}

/** Reconnects and resumes every room the slot was subscribed to with sinceSeq = where its stream stopped. */
export class Reconnect extends Base {
  constructor(readonly slot: number, readonly viaFrame: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return !m.connected[this.slot];
  }
  async act(m: Model, w: World): Promise<void> {
    const first = !otherSocketOpen(m, this.slot);
    const s = await w.connect(this.slot, this.viaFrame);
    m.connected[this.slot] = true;
    if (first) await presence(m, w, this.slot, 'online');
    for (const room of m.subscribed[this.slot]!) {
      const roomId = w.roomIds[room]!;
      s.send({ type: 'subscribe', roomId, sinceSeq: s.pos.get(roomId) ?? 0 });
      const f = await s.take((x) => (x.type === 'subscribed' || x.type === 'error') && x.roomId === roomId, `resubscribed ${roomId}`);
      expect(f.type === 'subscribed' && f.lastSeq === m.lastSeq[room], `resubscribed with lastSeq ${m.lastSeq[room]}`, f);
    }
  }
  toString(): string {
    return `reconnect(s${this.slot}, ${this.viaFrame ? 'auth frame' : 'header'})`;
  }
}

/** What the racing socket of a Burst sends, without waiting for answers. */
export type Churn = 'sub none' | 'sub pos' | 'sub zero' | 'unsub';

/**
 * Races replays and subscription changes against live events: slot `a` fires
 * `n` sends without waiting, slot `b` at once sends its `ops` (subscribes and
 * unsubscribes of the same room, pipelined); then every answer is taken.
 */
export class Burst extends Base {
  constructor(readonly a: number, readonly room: number, readonly n: number, readonly b: number, readonly ops: Churn[]) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.a]! && m.connected[this.b]! && isMember(m, userOf(this.a), this.room) && isMember(m, userOf(this.b), this.room);
  }
  async act(m: Model, w: World): Promise<void> {
    const [sa, sb] = [w.socket(this.a), w.socket(this.b)];
    const roomId = w.roomIds[this.room]!;
    const before = m.lastSeq[this.room]!;
    const cmids = Array.from({ length: this.n }, () => `c${m.counter++}`);
    for (const clientMsgId of cmids) sa.send({ type: 'send', roomId, clientMsgId, body: 'burst' });
    for (const op of this.ops) {
      if (op === 'unsub') sb.send({ type: 'unsubscribe', roomId });
      else sb.send({ type: 'subscribe', roomId, ...(op === 'sub none' ? {} : { sinceSeq: op === 'sub zero' ? 0 : (sb.pos.get(roomId) ?? 0) }) });
    }
    for (const op of this.ops) {
      const f = await sb.take((x) => ['subscribed', 'unsubscribed', 'error'].includes(x.type) && x.roomId === roomId && x.clientMsgId === undefined, `answer to ${op}`);
      if (op === 'unsub') {
        expect(f.type === 'unsubscribed', 'unsubscribe answers unsubscribed', f);
        m.subscribed[this.b]!.delete(this.room);
        continue;
      }
      // Again while subscribed, lastSeq is what the subscription knows of, which may lag.
      const low = m.subscribed[this.b]!.has(this.room) ? 0 : before;
      expect(f.type === 'subscribed' && f.lastSeq >= low && f.lastSeq <= before + this.n, `${op}: subscribed with lastSeq in ${low}..${before + this.n}`, f);
      m.subscribed[this.b]!.add(this.room);
    }
    for (const clientMsgId of cmids) {
      const f = await sa.take((x) => (x.type === 'ack' || x.type === 'error') && x.clientMsgId === clientMsgId, `ack ${clientMsgId}`);
      if (refused(m, f)) continue;
      const seq = m.lastSeq[this.room]! + 1;
      expect(f.type === 'ack' && f.seq === seq, `burst ack of ${clientMsgId} at seq ${seq}`, f);
      m.sent.push({ user: userOf(this.a), room: this.room, cmid: clientMsgId, messageId: f.messageId, seq: f.seq });
      m.lastSeq[this.room] = seq;
    }
  }
  toString(): string {
    return `burst(s${this.a} sends ${this.n} to r${this.room}, s${this.b}: ${this.ops.join(', ')})`;
  }
}

/**
 * The owner removes user 1 or 2 from a room, or adds them back (over HTTP).
 * A removed user's subscriptions get the member.left event, then
 * `unsubscribed` with reason `removed`; nothing more of the room.
 */
export class Membership extends Base {
  constructor(readonly room: number, readonly user: 1 | 2) {
    super();
  }
  check(): boolean {
    return true;
  }
  async act(m: Model, w: World): Promise<void> {
    const roomId = w.roomIds[this.room]!;
    const userId = w.users[this.user]!.user.id;
    const owner = w.users[0]!.accessToken;
    if (!isMember(m, this.user, this.room)) {
      await w.api.ok(201, 'POST', `/v1/rooms/${roomId}/members`, { token: owner, body: { userId } });
      m.lastSeq[this.room]! += 1;
      m.members[this.room]!.add(this.user);
      return;
    }
    await w.api.ok(204, 'DELETE', `/v1/rooms/${roomId}/members/${userId}`, { token: owner });
    const left = (m.lastSeq[this.room]! += 1);
    m.members[this.room]!.delete(this.user);
    const mine = m.connected.flatMap((c, slot) => (c && userOf(slot) === this.user && m.subscribed[slot]!.has(this.room) ? [slot] : []));
    for (const slot of mine) {
      const s = w.socket(slot);
      const f = await s.take((x) => x.type === 'unsubscribed' && x.roomId === roomId, `unsubscribed ${roomId} (removed)`);
      expect(f.reason === 'removed' && s.pos.get(roomId) === left, `unsubscribed (removed) right after member.left at seq ${left} (stream at ${s.pos.get(roomId)})`, f);
    }
    for (const slot of SLOT_USERS.keys()) if (userOf(slot) === this.user) m.subscribed[slot]!.delete(this.room);
  }
  toString(): string {
    return `membership(r${this.room}, user ${this.user})`;
  }
}
