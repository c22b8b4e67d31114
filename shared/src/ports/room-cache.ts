import type { Role } from '../events/timeline-events';

/**
 * Cached room membership and head (lastSeq), shared by every reader of a room.
 * The room writer writes through after each commit (it is authoritative);
 * readers fill a missing entry from the database with fillMembers(), which
 * never overwrites what the writer put. Entries expire, so a lost update heals.
 */
export interface RoomCache {
  members(roomId: string): Promise<Record<string, Role> | null>;
  /** Writer only: the room's membership after a commit that changed it. */
  putMembers(roomId: string, members: Record<string, Role>): Promise<void>;
  /** Reader: fill on miss; ignored if an entry exists. */
  fillMembers(roomId: string, members: Record<string, Role>): Promise<void>;
  head(roomId: string): Promise<number | null>;
  /** Moves the head forward only. */
  putHead(roomId: string, lastSeq: number): Promise<void>;
  forget(roomId: string): Promise<void>;
}
