import fc from 'fast-check';
import { AUTH_AFTER_READY, AuthAfterReady, MALFORMED, Malformed, Oversized, PreReady, PRE_READY } from './bad-frame-commands';
import { Change, Ping, Send, Twin, Typing } from './message-commands';
import { Burst, Disconnect, Membership, Reconnect, Subscribe, Unsubscribe, type Churn, type SinceMode } from './subscription-commands';
import { SLOT_USERS } from './world';

/** The command generators of the model. */

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
