import type { Api, Session } from '../blackbox/client';
import { ModelSocket, type Frame, type Observer } from './model-socket';

/** Which user each socket slot belongs to: user 0 holds two sockets. */
export const SLOT_USERS = [0, 0, 1, 2] as const;
/** The members of each room: room 1 leaves user 2 out (its frames there are NOT_FOUND). */
export const ROOM_MEMBERS = [[0, 1, 2], [0, 1]] as const;

export interface Sent {
  readonly user: number;
  readonly room: number;
  readonly cmid: string;
  readonly messageId: string;
  readonly seq: number;
  deleted?: boolean;
}

/** What the commands expect of the server, one command after another. */
export interface Model {
  readonly connected: boolean[];
  /** Per slot: the rooms subscribed now (or, while disconnected, to resume with sinceSeq). */
  readonly subscribed: Array<Set<number>>;
  readonly lastSeq: number[];
  /** Per room: its members now (users 1 and 2 come and go). */
  readonly members: Array<Set<number>>;
  readonly sent: Sent[];
  counter: number;
  /** The server runs with a small message bucket: any send may be refused with RATE_LIMITED. */
  readonly limited: boolean;
}

export const isMember = (m: Readonly<Model>, user: number, room: number): boolean => m.members[room]!.has(user);

/** The real side of one run: fresh users and rooms, one socket per slot. */
export class World implements Observer {
  readonly violations: string[] = [];
  readonly sockets: Array<ModelSocket | undefined> = SLOT_USERS.map(() => undefined);
  /** Per slot, room id → stream position; kept across reconnects. */
  readonly pos = SLOT_USERS.map(() => new Map<string, number>());
  /** Room id → seq → what some subscriber saw there ("type:messageId"). */
  readonly observed = new Map<string, Map<number, string>>();
  readonly log: string[] = [];

  private constructor(
    readonly api: Api,
    readonly wsUrl: string,
    readonly users: Session[],
    readonly roomIds: string[],
    private readonly probeRoomId: string,
  ) {}

  static async create(api: Api, wsUrl: string, limited: boolean): Promise<{ model: Model; real: World }> {
    const users = await Promise.all([0, 1, 2].map(() => api.register()));
    const rooms = [];
    for (const members of ROOM_MEMBERS) rooms.push(await api.group(users[0]!, members.slice(1).map((u) => users[u]!.user.id), 'model'));
    // A room of all three that nobody subscribes to and nothing changes: where presence is read.
    const probe = await api.group(users[0]!, [users[1]!.user.id, users[2]!.user.id], 'presence probe');
    const world = new World(api, wsUrl, users, rooms.map((r) => r.id), probe.id);
    const model: Model = { connected: SLOT_USERS.map(() => false), subscribed: SLOT_USERS.map(() => new Set()), lastSeq: rooms.map((r) => r.lastSeq), sent: [], counter: 0, limited, members: ROOM_MEMBERS.map((r) => new Set<number>(r)) };
    for (let slot = 0; slot < SLOT_USERS.length; slot++) {
      await world.connect(slot, false);
      model.connected[slot] = true;
    }
    for (const user of [0, 1, 2]) await world.presenceSettled(user, true);
    return { model, real: world };
  }

  userOf(slot: number): Session {
    return this.users[SLOT_USERS[slot]!]!;
  }

  socket(slot: number): ModelSocket {
    const s = this.sockets[slot];
    if (!s) throw new Error(`slot ${slot} has no socket`);
    return s;
  }

  /** Opens the slot's socket (header auth, or an auth frame) and waits for `ready`. */
  async connect(slot: number, viaFrame: boolean): Promise<ModelSocket> {
    const u = this.userOf(slot);
    const s = await ModelSocket.open(this.wsUrl, `s${slot}`, u.user.id, this.pos[slot]!, this, viaFrame ? undefined : u.accessToken);
    this.sockets[slot] = s;
    if (viaFrame) s.send({ type: 'auth', token: u.accessToken });
    const ready = await s.take((f) => true, 'ready');
    if (ready.type !== 'ready' || ready.userId !== u.user.id) throw new Error(`s${slot}: first frame ${JSON.stringify(ready)}, expected ready`);
    return s;
  }

  /**
   * Waits until the server's presence of `user` is `online` (GET …/presence of
   * the probe room, which every user stays in). Presence frames are published right after
   * the store changes, in the background: this is how a command knows they are out.
   */
  async presenceSettled(user: number, online: boolean): Promise<void> {
    const userId = this.users[user]!.user.id;
    const until = Date.now() + 10_000;
    for (;;) {
      const res = await this.api.ok(200, 'GET', `/v1/rooms/${this.probeRoomId}/presence`, { token: this.users[0]!.accessToken });
      if ((res.online as string[]).includes(userId) === online) return;
      if (Date.now() > until) throw new Error(`user ${user} not ${online ? 'online' : 'offline'} after 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Message id → when its DELETE was answered (ms). */
  readonly deletedAt = new Map<string, number>();

  event(label: string, roomId: string, seq: number, event: Frame, replayOf: number | undefined): void {
    // A replay asked for after the delete was answered serves the tombstone.
    const deleted = event?.message ? this.deletedAt.get(event.message.id) : undefined;
    if (replayOf !== undefined && deleted !== undefined && deleted < replayOf && (event.message.body !== '' || event.message.deleted !== true)) {
      this.violation(`${label}: replayed ${event.type} seq ${seq} of deleted message ${event.message.id} is not its tombstone: ${JSON.stringify(event.message).slice(0, 200)}`);
    }
    const sig = `${event?.type}:${event?.message?.id ?? ''}`;
    const seen = this.observed.get(roomId) ?? new Map<number, string>();
    this.observed.set(roomId, seen);
    const before = seen.get(seq);
    if (before !== undefined && before !== sig) this.violation(`${label}: seq ${seq} in ${roomId} is ${sig}, another subscriber saw ${before}`);
    seen.set(seq, sig);
  }

  violation(text: string): void {
    this.violations.push(text);
  }

  /** Throws the first broken rule, or a frame that no command asked for. */
  assertClean(): void {
    if (this.violations.length) throw new Error(`violations:\n  ${this.violations.join('\n  ')}`);
    this.sockets.forEach((s, slot) => {
      if (s?.queue.length) throw new Error(`s${slot}: unexpected frames ${JSON.stringify(s.queue).slice(0, 400)}`);
    });
  }

  close(): void {
    for (const s of this.sockets) s?.terminate();
  }
}
