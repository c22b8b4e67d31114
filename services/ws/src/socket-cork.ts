import type { Socket } from 'node:net';

/** Sockets corked since the last check phase; uncorked together once the loop's I/O callbacks of this turn are done. */
const corked: Socket[] = [];

function uncorkAll(): void {
  for (const socket of corked.splice(0)) socket.uncork();
}

/**
 * Holds a socket's writes until the end of this turn of the event loop, so
 * that the frames a burst sends it (a group commit's events, their acks) leave
 * in one writev, not one syscall per frame. `ws` corks and uncorks inside each
 * send, so outside a send a socket is corked only by us: at most once a turn.
 */
export function corkUntilCheckPhase(socket: Socket | undefined): void {
  if (!socket || socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  if (corked.push(socket) === 1) setImmediate(uncorkAll);
}
