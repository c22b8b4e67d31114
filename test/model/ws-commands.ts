import fc from 'fast-check';
import { ModelSocket } from './model-socket';
import { isMember, SLOT_USERS, type Model, type World } from './world';

type Cmd = fc.AsyncCommand<Model, World>;

const userOf = (slot: number): number => SLOT_USERS[slot]!;

function expect(cond: boolean, what: string, frame?: unknown): void {
  if (!cond) throw new Error(`${what}${frame === undefined ? '' : `: got ${JSON.stringify(frame).slice(0, 300)}`}`);
}

/** A send refused by the message bucket (only where the model runs with rate limits on): it created nothing. */
const refused = (m: Readonly<Model>, f: { type: string; code?: string }): boolean => m.limited && ((f.type === 'error' && f.code === 'RATE_LIMITED') || f.type === 'http 429');

/** Sends a ping and takes its pong: the socket is open and served. */
async function pong(s: ModelSocket): Promise<void> {
  s.send({ type: 'ping' });
  await s.take((f) => f.type === 'pong', 'pong');
}

/** True when the slot's user has a socket open in another slot. */
const otherSocketOpen = (m: Readonly<Model>, slot: number): boolean => m.connected.some((c, i) => c && i !== slot && userOf(i) === userOf(slot));

/**
 * The slot's user went online or offline (first socket ready, last closed): every
 * socket of another user subscribed to a room they share hears it, once.
 */
async function presence(m: Model, w: World, slot: number, status: 'online' | 'offline'): Promise<void> {
  const user = userOf(slot);
  const userId = w.users[user]!.user.id;
  const receivers = m.connected.flatMap((c, i) => (c && userOf(i) !== user && [...m.subscribed[i]!].some((r) => isMember(m, user, r)) ? [i] : []));
  const what = `presence ${status} of user ${user}`;
  await w.presenceSettled(user, status === 'online');
  await Promise.all(receivers.map((i) => w.socket(i).take((x) => x.type === 'presence' && x.userId === userId && x.status === status, what)));
}

/** The slot's socket has closed: the model forgets it, and co-members hear the user went offline if it was the last. */
async function dropSocket(m: Model, w: World, slot: number): Promise<void> {
  m.connected[slot] = false;
  w.sockets[slot] = undefined;
  if (!otherSocketOpen(m, slot)) await presence(m, w, slot, 'offline');
}

abstract class Base implements Cmd {
  abstract check(m: Readonly<Model>): boolean;
  abstract act(m: Model, w: World): Promise<void>;
  abstract toString(): string;
  async run(m: Model, w: World): Promise<void> {
    w.log.push(this.toString());
    await this.act(m, w);
    w.assertClean();
  }
}

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

const V = 'VALIDATION_FAILED';
const UNKNOWN_ROOM = '01900000-0000-7000-8000-000000000000';

/** Frames the server must answer with an error (code given), keeping the socket open (`$R` is a room id). */
export const MALFORMED: Array<[string | Buffer, string]> = [
  ['{"type":"ping"', V],
  ['[1,2]', V],
  ['null', V],
  ['"ping"', V],
  ['{}', V],
  [Buffer.from('{"type":"ping"}'), V], // binary, not text
  ['{"type":"shout"}', V],
  ['{"type":7}', V],
  ['{"type":"subscribe","roomId":5}', V],
  ['{"type":"subscribe","roomId":"$R","sinceSeq":"3"}', V],
  ['{"type":"subscribe","roomId":"$R","sinceSeq":-1}', V],
  ['{"type":"subscribe","roomId":"$R","sinceSeq":1.5}', V],
  ['{"type":"unsubscribe"}', V],
  ['{"type":"send","roomId":"$R","clientMsgId":7,"body":"x"}', V],
  ['{"type":"send","roomId":"$R","clientMsgId":"","body":"x"}', V],
  [`{"type":"send","roomId":"$R","clientMsgId":"${'k'.repeat(65)}","body":"x"}`, V],
  ['{"type":"send","roomId":"$R","clientMsgId":"bad","body":"   "}', V],
  [`{"type":"send","roomId":"$R","clientMsgId":"bad","body":"${'b'.repeat(4001)}"}`, V],
  ['{"type":"send","roomId":"$R","clientMsgId":"bad","body":["x"]}', V],
  ['{"type":"typing","roomId":null}', V],
  ['{"type":"ping","x":"\\ud800"}', V],
  [`{"type":"subscribe","roomId":"${UNKNOWN_ROOM}"}`, 'NOT_FOUND'],
  [`{"type":"typing","roomId":"${UNKNOWN_ROOM}"}`, 'NOT_FOUND'],
  [`{"type":"send","roomId":"${UNKNOWN_ROOM}","clientMsgId":"bad","body":"x"}`, 'NOT_FOUND'],
];

export class Malformed extends Base {
  constructor(readonly slot: number, readonly kind: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]!;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    const [frame, code] = MALFORMED[this.kind]!;
    s.sendRaw(typeof frame === 'string' ? frame.replace('$R', w.roomIds[0]!) : frame);
    const f = await s.take((x) => x.type === 'error', 'error for a malformed frame');
    // The message bucket is taken before the room is looked up: a send to an unknown room may be refused first.
    expect(f.code === code || (code === 'NOT_FOUND' && refused(m, f)), `malformed frame: ${code}`, f);
    await pong(s);
  }
  toString(): string {
    return `malformed(s${this.slot}, ${String(MALFORMED[this.kind]![0]).slice(0, 80)})`;
  }
}

export class Oversized extends Base {
  /** `over`: one byte over 64 KiB (closed with 1009); else exactly 64 KiB (served). */
  constructor(readonly slot: number, readonly over: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]!;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    const frame = (pad: number) => JSON.stringify({ type: 'ping', pad: 'é'.repeat(pad / 2) + 'x'.repeat(pad % 2) });
    const size = 64 * 1024 + (this.over ? 1 : 0);
    const text = frame(size - Buffer.byteLength(frame(0)));
    if (Buffer.byteLength(text) !== size) throw new Error(`model: frame of ${Buffer.byteLength(text)} bytes, wanted ${size}`);
    s.sendRaw(text);
    if (!this.over) return void (await s.take((f) => f.type === 'pong', 'pong to a 64 KiB ping'));
    const c = await s.waitClosed();
    await dropSocket(m, w, this.slot);
    expect(c.code === 1009, 'a frame over 64 KiB closes with 1009', c);
  }
  toString(): string {
    return `oversized(s${this.slot}, ${this.over ? '64 KiB + 1' : 'exactly 64 KiB'})`;
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

/** A token signed with another secret: well-formed, not ours. */
const FORGED = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', Buffer.from(JSON.stringify({ sub: 'x', exp: 4102444800 })).toString('base64url'), 'c2lnbmF0dXJl'].join('.');
/** An auth frame after ready: `other user` is a valid token of another user; `same user` a valid one of this user (kept open, no answer). */
export const AUTH_AFTER_READY = ['not-a-token', 'forged', 'other user', 'same user'] as const;

export class AuthAfterReady extends Base {
  constructor(readonly slot: number, readonly kind: (typeof AUTH_AFTER_READY)[number]) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.connected[this.slot]!;
  }
  async act(m: Model, w: World): Promise<void> {
    const s = w.socket(this.slot);
    const user = userOf(this.slot);
    const token = { 'not-a-token': 'not-a-token', forged: FORGED, 'other user': w.users[(user + 1) % 3]!.accessToken, 'same user': w.users[user]!.accessToken }[this.kind];
    s.send({ type: 'auth', token });
    if (this.kind === 'same user') return pong(s);
    const f = await s.take((x) => x.type === 'error', 'error for a bad token');
    expect(f.code === 'UNAUTHENTICATED', 'bad token: UNAUTHENTICATED', f);
    const c = await s.waitClosed();
    await dropSocket(m, w, this.slot);
    expect(c.code === 4401, 'bad token closes with 4401', c);
  }
  toString(): string {
    return `authAfterReady(s${this.slot}, ${this.kind})`;
  }
}

/** What a fresh socket without header auth sends first; none of it is a good auth frame. */
export const PRE_READY = ['{"type":"ping"}', 'garbage', '{"type":"subscribe","roomId":"$R"}', `{"type":"auth","token":"not-a-token"}`, '{"type":"auth"}'];

export class PreReady extends Base {
  constructor(readonly kind: number) {
    super();
  }
  check(): boolean {
    return true;
  }
  async act(_m: Model, w: World): Promise<void> {
    const s = await ModelSocket.open(w.wsUrl, 'fresh', '', new Map(), w);
    try {
      s.sendRaw(PRE_READY[this.kind]!.replace('$R', w.roomIds[0]!));
      const f = await s.take(() => true, 'an answer before ready');
      expect(f.type === 'error' && f.code === 'UNAUTHENTICATED', 'a frame before ready: error UNAUTHENTICATED', f);
      const c = await s.waitClosed();
      expect(c.code === 4401, 'a frame before ready closes with 4401', c);
    } finally {
      s.terminate();
    }
  }
  toString(): string {
    return `preReady(${PRE_READY[this.kind]})`;
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

const slot = fc.integer({ min: 0, max: SLOT_USERS.length - 1 });
const room = fc.integer({ min: 0, max: 1 });
const body = fc.constantFrom('hi', '  padded  ', '서버가 죽었어요', 'x'.repeat(4000), '@nobody hello');

export const commandArbs = [
  fc.tuple(slot, room, fc.constantFrom<SinceMode>('none', 'pos', 'zero', 'random'), fc.nat(50)).map(([s, r, mode, n]) => new Subscribe(s, r, mode, n)),
  fc.tuple(slot, room).map(([s, r]) => new Unsubscribe(s, r)),
  fc.tuple(slot, room, fc.option(fc.nat(20), { freq: 3 }), body).map(([s, r, reuse, b]) => new Send(s, r, reuse ?? undefined, b)),
  fc.tuple(slot, room, fc.option(fc.nat(20), { freq: 3 }), body).map(([s, r, reuse, b]) => new Send(s, r, reuse ?? undefined, b)),
  fc.tuple(slot, room, fc.integer({ min: 1, max: 40 }), slot, fc.array(fc.constantFrom<Churn>('sub none', 'sub pos', 'sub zero', 'unsub'), { minLength: 1, maxLength: 3 })).map(
    ([a, r, n, b, ops]) => new Burst(a, r, n, b, ops),
  ),
  fc.tuple(room, fc.constantFrom<Twin['how']>('two sockets', 'one socket', 'socket and http'), slot).map(([r, how, s]) => new Twin(r, how, s)),
  fc.tuple(fc.nat(30), fc.constantFrom<Change['how']>('edit', 'delete')).map(([k, how]) => new Change(k, how)),
  fc.tuple(room, fc.constantFrom<1 | 2>(1, 2)).map(([r, u]) => new Membership(r, u)),
  fc.tuple(slot, room).map(([s, r]) => new Typing(s, r)),
  slot.map((s) => new Ping(s)),
  fc.tuple(slot, fc.nat(MALFORMED.length - 1)).map(([s, k]) => new Malformed(s, k)),
  fc.tuple(slot, fc.boolean()).map(([s, over]) => new Oversized(s, over)),
  fc.tuple(slot, fc.boolean()).map(([s, hard]) => new Disconnect(s, hard)),
  fc.tuple(slot, fc.boolean()).map(([s, viaFrame]) => new Reconnect(s, viaFrame)),
  fc.tuple(slot, fc.constantFrom(...AUTH_AFTER_READY)).map(([s, k]) => new AuthAfterReady(s, k)),
  fc.nat(PRE_READY.length - 1).map((k) => new PreReady(k)),
];
