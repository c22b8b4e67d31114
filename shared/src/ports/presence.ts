/**
 * Who has an open socket now, across every gateway instance.
 * connect/disconnect report whether this was the user's first/last socket,
 * which is when presence frames go out.
 */
export interface Presence {
  connect(userId: string, socketId: string): Promise<{ first: boolean }>;
  disconnect(userId: string, socketId: string): Promise<{ last: boolean }>;
  onlineAmong(userIds: readonly string[]): Promise<string[]>;
  /** Keeps this instance's sockets alive in a shared store (no-op in process). */
  heartbeat(sockets: Iterable<[userId: string, socketId: string]>): Promise<void>;
}
