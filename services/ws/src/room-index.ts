import type { RoomSubscription } from './room-subscription';

/**
 * Which connection watches which room, and the subscription that serves it:
 * where live events and typing of a room go. The only record of
 * subscriptions; a connection with none has no entry at all.
 */
export class RoomIndex<C> {
  private readonly byRoom = new Map<string, Map<C, RoomSubscription>>();
  private readonly byConnection = new Map<C, Map<string, RoomSubscription>>();

  /** `watched(roomId)` when a room gets its first watcher here, `unwatched(roomId)` when its last one leaves (room channels). */
  constructor(private readonly listener?: { watched(roomId: string): void; unwatched(roomId: string): void }) {}

  get(c: C, roomId: string): RoomSubscription | undefined {
    return this.byConnection.get(c)?.get(roomId);
  }

  /** Installs `sub` for its room, closing any other of that connection for the room. */
  add(c: C, sub: RoomSubscription): void {
    let mine = this.byConnection.get(c);
    if (!mine) this.byConnection.set(c, (mine = new Map()));
    mine.get(sub.roomId)?.close();
    mine.set(sub.roomId, sub);
    let watchers = this.byRoom.get(sub.roomId);
    if (!watchers) {
      this.byRoom.set(sub.roomId, (watchers = new Map()));
      this.listener?.watched(sub.roomId);
    }
    watchers.set(c, sub);
  }

  /** Removes and closes the connection's subscription to the room (only if it is `only`, when given); true if one was removed. */
  remove(c: C, roomId: string, only?: RoomSubscription): boolean {
    const mine = this.byConnection.get(c);
    const sub = mine?.get(roomId);
    if (!sub || (only && sub !== only)) return false;
    sub.close();
    mine!.delete(roomId);
    if (mine!.size === 0) this.byConnection.delete(c);
    const watchers = this.byRoom.get(roomId);
    watchers?.delete(c);
    if (watchers?.size === 0) {
      this.byRoom.delete(roomId);
      this.listener?.unwatched(roomId);
    }
    return true;
  }

  /** Removes and closes every subscription of the connection (it closed). */
  removeAll(c: C): void {
    for (const roomId of [...(this.byConnection.get(c)?.keys() ?? [])]) this.remove(c, roomId);
  }

  /** The connections watching the room with their subscriptions, as a snapshot (safe to change the index while going through it). */
  watchers(roomId: string): Array<[C, RoomSubscription]> {
    const watchers = this.byRoom.get(roomId);
    return watchers ? [...watchers] : [];
  }

  /** The rooms watched here. */
  rooms(): string[] {
    return [...this.byRoom.keys()];
  }

  count(roomId: string): number {
    return this.byRoom.get(roomId)?.size ?? 0;
  }
}
