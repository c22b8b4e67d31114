import { ModelSocket } from './model-socket';
import { Base, dropSocket, expect, pong, refused, userOf } from './command-base';
import type { Model, World } from './world';

/** Frames the server must refuse: malformed (socket kept), oversized (1009), bad auth after ready and anything before ready (4401). */

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
