// The page's state. Mutations go through methods that announce what changed,
// so views re-render only their own part.

export class Store extends EventTarget {
  me = null;
  connection = 'offline';
  connects = 0; // sockets that reached ready
  authDrops = 0; // sockets the server closed for an expired or refused token (4401)
  rooms = new Map(); // roomId -> room + {lastReadSeq, unreadCount}
  roomOrder = []; // roomIds, newest activity first
  activeRoomId = null;
  messages = new Map(); // roomId -> Map<messageId, message>; present once the room is opened
  hasOlder = new Map(); // roomId -> boolean
  pending = new Map(); // roomId -> Map<clientMsgId, {clientMsgId, body, createdAt, failed}>
  members = new Map(); // roomId -> Map<userId, member>
  users = new Map(); // userId -> user | null while loading
  online = new Set(); // userIds with an open socket
  typing = new Map(); // roomId -> Map<userId, expiresAtMs>
  search = { q: '', hits: [], error: null };
  loadUser = async () => null;

  changed(...parts) {
    for (const part of new Set(parts)) this.dispatchEvent(new CustomEvent('change', { detail: part }));
  }

  // --- rooms -------------------------------------------------------------
  get activeRoom() {
    return this.rooms.get(this.activeRoomId) ?? null;
  }

  /** Takes the server's room list as the truth, keeping rooms added since `since`. */
  setRooms(list, since) {
    const seen = new Set();
    for (const room of list) {
      seen.add(room.id);
      // The server's unreadCount already counts messages up to its lastSeq.
      this.rooms.set(room.id, { addedAt: 0, ...this.rooms.get(room.id), ...room, countedThrough: room.lastSeq });
    }
    for (const [id, room] of this.rooms) if (!seen.has(id) && room.addedAt < since) this.removeRoom(id, false);
    const local = this.roomOrder.filter((id) => !seen.has(id) && this.rooms.has(id));
    this.roomOrder = [...local, ...list.map((r) => r.id)];
    this.changed('rooms');
  }

  upsertRoom(room) {
    const known = this.rooms.get(room.id);
    this.rooms.set(room.id, { unreadCount: 0, lastReadSeq: 0, countedThrough: room.lastSeq, addedAt: Date.now(), ...known, ...room });
    if (!known) this.roomOrder.unshift(room.id);
    this.changed('rooms');
  }

  removeRoom(roomId, announce = true) {
    this.rooms.delete(roomId);
    this.roomOrder = this.roomOrder.filter((id) => id !== roomId);
    for (const map of [this.messages, this.pending, this.members, this.hasOlder, this.typing]) map.delete(roomId);
    if (this.activeRoomId === roomId) this.activeRoomId = null;
    if (announce) this.changed('rooms', 'room');
  }

  bumpRoom(roomId) {
    if (this.roomOrder[0] === roomId) return;
    this.roomOrder = [roomId, ...this.roomOrder.filter((id) => id !== roomId)];
    this.changed('rooms');
  }

  roomName(room) {
    if (!room) return '';
    if (room.name) return room.name;
    const other = [...(this.members.get(room.id)?.keys() ?? [])].find((id) => id !== this.me?.id);
    return other ? this.userName(other) : 'Direct message';
  }

  // --- messages ----------------------------------------------------------
  putMessages(roomId, list) {
    const map = this.messages.get(roomId);
    if (!map) return;
    for (const m of list) {
      map.set(m.id, m);
      if (m.senderId === this.me?.id) this.pending.get(roomId)?.delete(m.clientMsgId);
    }
    this.changed('messages');
  }

  /** Messages of a room ascending by seq, then its unacknowledged sends. */
  timeline(roomId) {
    const stored = [...(this.messages.get(roomId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    return { stored, pending: [...(this.pending.get(roomId)?.values() ?? [])] };
  }

  oldestSeq(roomId) {
    let oldest = Infinity;
    for (const m of this.messages.get(roomId)?.values() ?? []) oldest = Math.min(oldest, m.seq);
    return Number.isFinite(oldest) ? oldest : null;
  }

  newestSeq(roomId) {
    let newest = 0;
    for (const m of this.messages.get(roomId)?.values() ?? []) newest = Math.max(newest, m.seq);
    return newest;
  }

  addPending(roomId, entry) {
    if (!this.pending.has(roomId)) this.pending.set(roomId, new Map());
    this.pending.get(roomId).set(entry.clientMsgId, entry);
    this.changed('messages');
  }

  // --- people --------------------------------------------------------------
  userName(userId) {
    if (!this.users.has(userId)) {
      this.users.set(userId, null);
      this.loadUser(userId)
        .then((user) => user && this.users.set(userId, user))
        .catch(() => this.users.delete(userId))
        .finally(() => this.changed('messages', 'members', 'typing', 'rooms'));
    }
    const user = this.users.get(userId);
    return user?.displayName ?? user?.username ?? '…';
  }

  setTyping(roomId, userId, untilMs) {
    if (!this.typing.has(roomId)) this.typing.set(roomId, new Map());
    if (untilMs) this.typing.get(roomId).set(userId, untilMs);
    else this.typing.get(roomId).delete(userId);
    this.changed('typing');
  }

  typingNames(roomId) {
    const now = Date.now();
    return [...(this.typing.get(roomId) ?? [])].filter(([, until]) => until > now).map(([id]) => this.userName(id));
  }
}
