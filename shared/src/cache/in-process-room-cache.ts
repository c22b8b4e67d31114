import type { Role } from '../events/timeline-events';
import type { RoomCache } from '../ports/room-cache';

/** The embedded default: a bounded Map in this process (oldest entries evicted first). */
export class InProcessRoomCache implements RoomCache {
  private readonly memberSets = new Map<string, Record<string, Role>>();
  private readonly heads = new Map<string, number>();

  constructor(private readonly maxRooms = 50_000) {}

  private bound<V>(map: Map<string, V>): void {
    if (map.size <= this.maxRooms) return;
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }

  async members(roomId: string): Promise<Record<string, Role> | null> {
    return this.memberSets.get(roomId) ?? null;
  }
  async putMembers(roomId: string, members: Record<string, Role>): Promise<void> {
    this.memberSets.set(roomId, members);
    this.bound(this.memberSets);
  }
  async fillMembers(roomId: string, members: Record<string, Role>): Promise<void> {
    if (!this.memberSets.has(roomId)) await this.putMembers(roomId, members);
  }
  async head(roomId: string): Promise<number | null> {
    return this.heads.get(roomId) ?? null;
  }
  async putHead(roomId: string, lastSeq: number): Promise<void> {
    if ((this.heads.get(roomId) ?? 0) < lastSeq) this.heads.set(roomId, lastSeq);
    this.bound(this.heads);
  }
  async forget(roomId: string): Promise<void> {
    this.memberSets.delete(roomId);
    this.heads.delete(roomId);
  }
}
