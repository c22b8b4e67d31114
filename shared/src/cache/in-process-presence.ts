import type { Presence } from '../ports/presence';

export class InProcessPresence implements Presence {
  private readonly sockets = new Map<string, Set<string>>();

  async connect(userId: string, socketId: string): Promise<{ first: boolean }> {
    const set = this.sockets.get(userId) ?? new Set<string>();
    this.sockets.set(userId, set);
    set.add(socketId);
    return { first: set.size === 1 };
  }
  async disconnect(userId: string, socketId: string): Promise<{ last: boolean }> {
    const set = this.sockets.get(userId);
    if (!set?.delete(socketId)) return { last: false };
    if (set.size > 0) return { last: false };
    this.sockets.delete(userId);
    return { last: true };
  }
  async onlineAmong(userIds: readonly string[]): Promise<string[]> {
    return userIds.filter((id) => this.sockets.has(id));
  }
  async heartbeat(): Promise<void> {}
}
