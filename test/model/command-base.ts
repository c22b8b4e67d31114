import type fc from 'fast-check';
import type { ModelSocket } from './model-socket';
import { isMember, SLOT_USERS, type Model, type World } from './world';

/** What every command of the model shares: expectations, pongs, presence, its log line and the clean check after it. */

type Cmd = fc.AsyncCommand<Model, World>;

export const userOf = (slot: number): number => SLOT_USERS[slot]!;

export function expect(cond: boolean, what: string, frame?: unknown): void {
  if (!cond) throw new Error(`${what}${frame === undefined ? '' : `: got ${JSON.stringify(frame).slice(0, 300)}`}`);
}

/** A send refused by the message bucket (only where the model runs with rate limits on): it created nothing. */
export const refused = (m: Readonly<Model>, f: { type: string; code?: string }): boolean => m.limited && ((f.type === 'error' && f.code === 'RATE_LIMITED') || f.type === 'http 429');

/** Sends a ping and takes its pong: the socket is open and served. */
export async function pong(s: ModelSocket): Promise<void> {
  s.send({ type: 'ping' });
  await s.take((f) => f.type === 'pong', 'pong');
}

/** True when the slot's user has a socket open in another slot. */
export const otherSocketOpen = (m: Readonly<Model>, slot: number): boolean => m.connected.some((c, i) => c && i !== slot && userOf(i) === userOf(slot));

/**
 * The slot's user went online or offline (first socket ready, last closed): every
 * socket of another user subscribed to a room they share hears it, once.
 */
export async function presence(m: Model, w: World, slot: number, status: 'online' | 'offline'): Promise<void> {
  const user = userOf(slot);
  const userId = w.users[user]!.user.id;
  const receivers = m.connected.flatMap((c, i) => (c && userOf(i) !== user && [...m.subscribed[i]!].some((r) => isMember(m, user, r)) ? [i] : []));
  const what = `presence ${status} of user ${user}`;
  await w.presenceSettled(user, status === 'online');
  await Promise.all(receivers.map((i) => w.socket(i).take((x) => x.type === 'presence' && x.userId === userId && x.status === status, what)));
}

/** The slot's socket has closed: the model forgets it, and co-members hear the user went offline if it was the last. */
export async function dropSocket(m: Model, w: World, slot: number): Promise<void> {
  m.connected[slot] = false;
  w.sockets[slot] = undefined;
  if (!otherSocketOpen(m, slot)) await presence(m, w, slot, 'offline');
}

export abstract class Base implements Cmd {
  abstract check(m: Readonly<Model>): boolean;
  abstract act(m: Model, w: World): Promise<void>;
  abstract toString(): string;
  async run(m: Model, w: World): Promise<void> {
    w.log.push(this.toString());
    await this.act(m, w);
    w.assertClean();
  }
}
