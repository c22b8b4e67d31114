import type { ModelSocket } from './model-socket';
import { Base, expect, pong, refused, userOf } from './command-base';
import { isMember, SLOT_USERS, type Model, type World } from './world';

/** Commands about messages and signals: send, twin sends of one clientMsgId, HTTP edit and delete, typing, ping. */

export class Send extends Base {
  /** `reuse`: undefined for a new clientMsgId, else which earlier one to repeat. */
  constructor(readonly slot: number, readonly room: number, readonly reuse: number | undefined, readonly body: string) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]! && (this.reuse === undefined || m.sent.length > 0);
  }
  private clientMsgId(m: Model): string {
    if (this.reuse === undefined) return `c${m.counter++}`;
    // Mostly the same user's own in this room (the idempotent repeat); sometimes anyone's, anywhere (a new message).
    const own = m.sent.filter((x) => x.user === userOf(this.slot) && x.room === this.room);
    const from = own.length > 0 && this.reuse % 3 !== 0 ? own : m.sent;
    return from[this.reuse % from.length]!.cmid;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    const roomId = w.roomIds[this.room]!;
    const clientMsgId = this.clientMsgId(m);
    s.send({ type: 'send', roomId, clientMsgId, body: this.body });
    const f = await s.take((x) => (x.type === 'ack' || x.type === 'error') && x.clientMsgId === clientMsgId, `ack ${clientMsgId}`);
    const user = userOf(this.slot);
    if (refused(m, f)) return;
    if (!isMember(m, user, this.room)) return expect(f.type === 'error' && f.code === 'NOT_FOUND' && f.roomId === roomId, 'send by a non-member: NOT_FOUND', f);
    expect(f.type === 'ack' && f.roomId === roomId, `ack for ${clientMsgId}`, f);
    const before = m.sent.find((x) => x.user === user && x.room === this.room && x.cmid === clientMsgId);
    if (before) return expect(f.messageId === before.messageId && f.seq === before.seq, `repeat of ${clientMsgId}: same message ${before.messageId} seq ${before.seq}`, f);
    expect(f.seq === m.lastSeq[this.room]! + 1 && typeof f.messageId === 'string', `new message at seq ${m.lastSeq[this.room]! + 1}`, f);
    m.lastSeq[this.room] = f.seq;
    m.sent.push({ user, room: this.room, cmid: clientMsgId, messageId: f.messageId, seq: f.seq });
  }
  toString(): string {
    return `send(s${this.slot}, r${this.room}, ${this.reuse === undefined ? 'new' : `reuse ${this.reuse}`}, ${JSON.stringify(this.body)})`;
  }
}

export class Typing extends Base {
  constructor(readonly slot: number, readonly room: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]!;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    const roomId = w.roomIds[this.room]!;
    const user = userOf(this.slot);
    s.send({ type: 'typing', roomId });
    if (!isMember(m, user, this.room)) {
      const f = await s.take((x) => x.type === 'error' && x.roomId === roomId, 'typing error');
      expect(f.code === 'NOT_FOUND', 'typing by a non-member: NOT_FOUND', f);
    }
    await pong(s); // frames are handled in order: the typing is published by now
    const userId = w.users[user]!.user.id;
    const receivers = SLOT_USERS.map((u, slot) => slot).filter((slot) => m.connected[slot] && userOf(slot) !== user && m.subscribed[slot]!.has(this.room));
    if (!isMember(m, user, this.room)) return;
    await Promise.all(receivers.map((slot) => w.socket(slot).take((x) => x.type === 'typing' && x.roomId === roomId && x.userId === userId, `typing of user ${user} in r${this.room}`)));
  }
  toString(): string {
    return `typing(s${this.slot}, r${this.room})`;
  }
}

export class Ping extends Base {
  constructor(readonly slot: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]!;
  }
  async act(_m: Model, w: World): Promise<void> {
    await pong(w.socket(this.slot));
  }
  toString(): string {
    return `ping(s${this.slot})`;
  }
}

/**
 * The same new clientMsgId sent twice at once by one user: from its two
 * sockets, twice on one socket, or on a socket and over HTTP. Both answers
 * name one message at one seq.
 */
export class Twin extends Base {
  constructor(readonly room: number, readonly how: 'two sockets' | 'one socket' | 'socket and http', readonly slot: number) {
    super();
  }
  private slots(): [number, number | undefined] {
    if (this.how === 'two sockets') return [0, 1];
    return [this.slot, this.how === 'one socket' ? this.slot : undefined];
  }
  check(m: Readonly<Model>): boolean {
    const [a, b] = this.slots();
    return m.connected[a]! && (b === undefined || m.connected[b]!) && isMember(m, userOf(a), this.room);
  }
  async act(m: Model, w: World): Promise<void> {
    const [a, b] = this.slots();
    const roomId = w.roomIds[this.room]!;
    const clientMsgId = `c${m.counter++}`;
    const frame = { type: 'send', roomId, clientMsgId, body: 'twin' };
    const acks = (s: ModelSocket, n: number) => Array.from({ length: n }, () => s.take((x) => (x.type === 'ack' || x.type === 'error') && x.clientMsgId === clientMsgId, `ack ${clientMsgId}`));
    w.socket(a).send(frame);
    const answers: Array<Promise<{ type: string; messageId?: string; seq?: number }>> = [];
    if (b === undefined) {
      const post = w.api.req('POST', `/v1/rooms/${roomId}/messages`, { token: w.userOf(a).accessToken, body: { clientMsgId, body: 'twin over http' } });
      answers.push(post.then((r) => ({ type: r.status === 201 || r.status === 200 ? 'ack' : `http ${r.status}`, messageId: r.body?.message?.id, seq: r.body?.message?.seq })));
      answers.push(...acks(w.socket(a), 1));
    } else {
      w.socket(b).send(frame);
      answers.push(...(a === b ? acks(w.socket(a), 2) : [...acks(w.socket(a), 1), ...acks(w.socket(b), 1)]));
    }
    const all = await Promise.all(answers);
    const served = all.filter((f) => !refused(m, f));
    if (served.length === 0) return;
    const [x, y = served[0]] = served;
    expect(x!.type === 'ack' && y!.type === 'ack' && x!.messageId === y!.messageId && x!.seq === y!.seq, `one message for ${clientMsgId}`, all);
    expect(x!.seq === m.lastSeq[this.room]! + 1, `new message at seq ${m.lastSeq[this.room]! + 1}`, x);
    m.lastSeq[this.room] = x!.seq!;
    m.sent.push({ user: userOf(a), room: this.room, cmid: clientMsgId, messageId: x!.messageId!, seq: x!.seq! });
  }
  toString(): string {
    return `twin(r${this.room}, ${this.how}, s${this.slot})`;
  }
}

/** The sender edits or deletes one of the messages sent (over HTTP): one more timeline event, none for a deleted one. */
export class Change extends Base {
  constructor(readonly k: number, readonly how: 'edit' | 'delete') {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.sent.length > 0;
  }
  async act(m: Model, w: World): Promise<void> {
    const x = m.sent[this.k % m.sent.length]!;
    const path = `/v1/rooms/${w.roomIds[x.room]}/messages/${x.messageId}`;
    const token = w.users[x.user]!.accessToken;
    if (!isMember(m, x.user, x.room)) {
      const res = await w.api.req(this.how === 'delete' ? 'DELETE' : 'PATCH', path, { token, body: { body: 'edited' } });
      return expect(res.status === 404, `${this.how} by a sender no longer in the room: 404`, res.text);
    }
    if (this.how === 'delete') {
      const res = await w.api.req('DELETE', path, { token });
      expect(res.status === 204, `delete answers 204`, res.text);
      if (!x.deleted) m.lastSeq[x.room]! += 1;
      if (!x.deleted) w.deletedAt.set(x.messageId, Date.now());
      x.deleted = true;
      return;
    }
    const res = await w.api.req('PATCH', path, { token, body: { body: `edited ${m.counter++}` } });
    expect(res.status === (x.deleted ? 404 : 200), `edit answers ${x.deleted ? 404 : 200}`, res.text);
    if (!x.deleted) m.lastSeq[x.room]! += 1;
  }
  toString(): string {
    return `${this.how}(sent #${this.k})`;
  }
}
