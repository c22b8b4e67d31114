/**
 * This instance's authenticated sockets, by user: where a user's
 * notifications go (not a scan of every socket), and the cap on sockets per
 * user.
 */
export class UserSockets<C> {
  private readonly byUser = new Map<string, Set<C>>();
  private readonly all = new Set<C>();

  constructor(private readonly maxPerUser: number) {}

  get size(): number {
    return this.all.size;
  }

  /** Registers a socket unless its user holds maxPerUser here already. Synchronous: two sockets cannot both take the last place. */
  admit(userId: string, c: C): boolean {
    let mine = this.byUser.get(userId);
    if ((mine?.size ?? 0) >= this.maxPerUser) return false;
    if (!mine) this.byUser.set(userId, (mine = new Set()));
    mine.add(c);
    this.all.add(c);
    return true;
  }

  /** Forgets a socket; false if it was never admitted (or is gone already). */
  remove(userId: string, c: C): boolean {
    if (!this.all.delete(c)) return false;
    const mine = this.byUser.get(userId);
    mine?.delete(c);
    if (mine?.size === 0) this.byUser.delete(userId);
    return true;
  }

  has(userId: string): boolean {
    return this.byUser.has(userId);
  }

  of(userId: string): Iterable<C> {
    return this.byUser.get(userId) ?? [];
  }

  [Symbol.iterator](): Iterator<C> {
    return this.all[Symbol.iterator]();
  }
}
