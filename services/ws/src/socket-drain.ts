import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** The TCP socket under a `ws` socket: `ws` keeps it as `_socket` and has no public 'drain' of its own. */
const tcpOf = (socket: WebSocket): Socket | undefined => (socket as unknown as { _socket?: Socket })._socket;

/**
 * Waits for a socket's send buffer to go below a mark: woken by the TCP
 * socket's 'drain' (all of it handed to the kernel), or looked at again
 * shortly when no 'drain' is due. Made per socket on its first replay.
 */
export class SocketDrain {
  /** The waiters (only while some wait). */
  private waiters: Array<() => void> | undefined;
  private wakeAll: (() => void) | undefined;

  constructor(private readonly socket: WebSocket) {}

  /** Resolves true once the buffer is at or below `low` bytes, false if the socket closed. */
  async below(low: number): Promise<boolean> {
    while (this.socket.readyState === this.socket.OPEN && this.socket.bufferedAmount > low) await new Promise<void>((r) => this.wait(r));
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Wakes every waiter now (the socket closed). */
  wake(): void {
    this.wakeAll?.();
  }

  private wait(resolve: () => void): void {
    if (this.waiters) return void this.waiters.push(resolve);
    this.waiters = [resolve];
    const tcp = tcpOf(this.socket);
    let timer: NodeJS.Timeout | undefined;
    const wake = () => {
      tcp?.off('drain', wake);
      clearTimeout(timer);
      const waiters = this.waiters ?? [];
      this.waiters = undefined;
      this.wakeAll = undefined;
      for (const w of waiters) w();
    };
    this.wakeAll = wake;
    // 'drain' is due only after a write found the buffer over its high-water mark; with a tiny
    // WS_MAX_BUFFERED_BYTES the buffer may be over our mark without that: look again shortly.
    if (tcp?.writableNeedDrain) tcp.once('drain', wake);
    else timer = setTimeout(wake, 20);
  }
}
