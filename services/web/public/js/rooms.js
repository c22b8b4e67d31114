// Room list, the open room (history, members, presence) and read marks. HTTP
// goes through @sturdy-chat/client's ChatHttpClient; each room's live timeline
// through its RealtimeClient, which resumes every subscription after a
// reconnect from the last seq it delivered (in order, exactly once).

const PAGE = 50;
/** Codes with which a subscribe is refused for good: the room is gone or was never ours. */
const GONE = new Set(['NOT_FOUND', 'FORBIDDEN', 'VALIDATION_FAILED']);

export class Rooms {
  #loadingOlder = false;
  #readTimer = null;
  #followed = new Set(); // roomIds subscribed on the realtime client

  /**
   * @param {import('./state.js').Store} store
   * @param {any} http a ChatHttpClient
   * @param {{ subscribe: Function, unsubscribe: Function, lastSeq: Function }} live a RealtimeClient
   * @param {(result: any) => any} unwrap the client's unwrap (data, or a ChatApiError)
   */
  constructor(store, http, live, unwrap) {
    Object.assign(this, { store, http, live, unwrap });
  }

  /** Reloads the room list; follows rooms we did not know (someone added us). */
  async refresh() {
    const since = Date.now();
    const { rooms } = await this.http.listRooms();
    this.store.setRooms(rooms, since);
    for (const room of rooms) this.#follow(room);
    for (const room of rooms) if (room.type === 'direct' && !this.store.members.has(room.id)) this.#loadDirectMembers(room.id);
    for (const roomId of this.#followed) if (!this.store.rooms.has(roomId)) this.#unfollow(roomId);
    if (this.store.activeRoomId && !this.store.activeRoom) this.store.changed('room');
  }

  /** Live events from the room's lastSeq when we learned of it: nothing missed, nothing twice. */
  #follow(room) {
    if (this.#followed.has(room.id)) return;
    this.#followed.add(room.id);
    this.live.subscribe(room.id, { sinceSeq: room.lastSeq ?? 0 }).catch((err) => {
      if (GONE.has(err?.code)) this.gone(room.id);
    });
  }

  #unfollow(roomId) {
    if (!this.#followed.delete(roomId)) return;
    this.live.unsubscribe(roomId);
  }

  isFollowed(roomId) {
    return this.#followed.has(roomId);
  }

  gone(roomId) {
    this.#unfollow(roomId);
    this.store.removeRoom(roomId);
  }

  async create(name) {
    const room = await this.http.createRoom({ type: 'group', name });
    this.store.upsertRoom(room);
    this.#follow(room);
    await this.open(room.id);
  }

  async addMember(username) {
    const roomId = this.store.activeRoomId;
    let user;
    try {
      user = await this.http.findUser(username.trim().toLowerCase());
    } catch (err) {
      if (err?.status === 404 || err?.status === 400) throw new Error(`No user named “${username}”`);
      throw err;
    }
    const member = await this.http.addMember(roomId, user.id);
    this.store.users.set(user.id, user);
    this.store.members.get(roomId)?.set(member.userId, member);
    this.store.changed('members');
  }

  async open(roomId) {
    const { store } = this;
    if (!store.rooms.has(roomId)) return;
    store.activeRoomId = roomId;
    if (location.hash !== `#${roomId}`) history.replaceState(null, '', `#${roomId}`);
    store.changed('room', 'rooms', 'messages', 'members', 'typing');
    await Promise.all([this.#loadLatest(roomId), this.loadMembers(roomId)]);
    this.markRead();
  }

  async #loadLatest(roomId) {
    const { store } = this;
    if (store.messages.has(roomId)) return;
    store.messages.set(roomId, new Map()); // live events land here while the page loads
    try {
      const page = await this.http.listMessages(roomId, { limit: PAGE });
      store.hasOlder.set(roomId, page.hasMore);
      store.putMessages(roomId, page.messages);
    } catch (err) {
      store.messages.delete(roomId);
      throw err;
    }
  }

  /** Fetches the page before the oldest message shown (scrolling up). */
  async loadOlder() {
    const { store } = this;
    const roomId = store.activeRoomId;
    if (!roomId || this.#loadingOlder || !store.hasOlder.get(roomId)) return;
    this.#loadingOlder = true;
    try {
      const before = store.oldestSeq(roomId);
      const page = await this.http.listMessages(roomId, before === null ? { limit: PAGE } : { before, limit: PAGE });
      store.hasOlder.set(roomId, page.hasMore);
      store.putMessages(roomId, page.messages);
    } finally {
      this.#loadingOlder = false;
    }
  }

  #members(roomId) {
    return this.http.raw.GET('/v1/rooms/{roomId}/members', { params: { path: { roomId } } }).then(this.unwrap);
  }

  // A direct room is named after the other person, so its members are needed for the list.
  #loadDirectMembers(roomId) {
    this.store.members.set(roomId, new Map());
    this.#members(roomId).then(({ members }) => {
      this.store.members.set(roomId, new Map(members.map((m) => [m.userId, m])));
      this.store.changed('rooms', 'members');
    }, () => this.store.members.delete(roomId));
  }

  async loadMembers(roomId) {
    const [{ members }, { online }] = await Promise.all([
      this.#members(roomId),
      this.http.raw.GET('/v1/rooms/{roomId}/presence', { params: { path: { roomId } } }).then(this.unwrap),
    ]);
    this.store.members.set(roomId, new Map(members.map((m) => [m.userId, m])));
    for (const m of members) this.store.online.delete(m.userId);
    for (const id of online) this.store.online.add(id);
    this.store.changed('members', 'rooms', 'room');
  }

  /** Marks the open room read up to what has arrived, when someone can see it. */
  markRead() {
    clearTimeout(this.#readTimer);
    this.#readTimer = setTimeout(() => {
      const room = this.store.activeRoom;
      if (!room || document.visibilityState !== 'visible') return;
      const seq = Math.max(this.live.lastSeq(room.id) ?? 0, this.store.newestSeq(room.id));
      if (seq <= (room.lastReadSeq ?? 0) && !room.unreadCount) return;
      room.lastReadSeq = seq;
      room.unreadCount = 0;
      this.store.changed('rooms');
      this.http.markRead(room.id, seq).catch(() => (room.lastReadSeq = 0));
    }, 200);
  }
}
