// Room list, the open room (history, members, presence) and read marks.

import { ApiError, query } from './api.js';

const PAGE = 50;
const enc = encodeURIComponent;

export class Rooms {
  #loadingOlder = false;
  #readTimer = null;

  constructor(store, api, sync, socket) {
    Object.assign(this, { store, api, sync, socket });
  }

  /** Reloads the room list; follows rooms we did not know (someone added us). */
  async refresh() {
    const since = Date.now();
    const { rooms } = await this.api.get('/v1/rooms');
    this.store.setRooms(rooms, since);
    for (const room of rooms) this.#follow(room);
    for (const room of rooms) if (room.type === 'direct' && !this.store.members.has(room.id)) this.#loadDirectMembers(room.id);
    for (const { roomId } of this.sync.subscriptions()) if (!this.store.rooms.has(roomId)) this.sync.forget(roomId);
    if (this.store.activeRoomId && !this.store.activeRoom) this.store.changed('room');
  }

  subscribeAll() {
    for (const sub of this.sync.subscriptions()) this.socket.send({ type: 'subscribe', ...sub });
  }

  #follow(room) {
    if (this.sync.isTracked(room.id)) return;
    this.sync.track(room.id, room.lastSeq);
    this.socket.send({ type: 'subscribe', roomId: room.id, sinceSeq: room.lastSeq });
  }

  gone(roomId) {
    this.sync.forget(roomId);
    this.store.removeRoom(roomId);
  }

  async create(name) {
    const { room } = await this.api.post('/v1/rooms', { type: 'group', name });
    this.store.upsertRoom(room);
    this.#follow(room);
    await this.open(room.id);
  }

  async addMember(username) {
    const roomId = this.store.activeRoomId;
    let user;
    try {
      ({ user } = await this.api.get(`/v1/users${query({ username: username.trim().toLowerCase() })}`));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 400)) throw new Error(`No user named “${username}”`);
      throw err;
    }
    const { member } = await this.api.post(`/v1/rooms/${enc(roomId)}/members`, { userId: user.id });
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
      const page = await this.api.get(`/v1/rooms/${enc(roomId)}/messages?limit=${PAGE}`);
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
      const page = await this.api.get(`/v1/rooms/${enc(roomId)}/messages${query({ before, limit: PAGE })}`);
      store.hasOlder.set(roomId, page.hasMore);
      store.putMessages(roomId, page.messages);
    } finally {
      this.#loadingOlder = false;
    }
  }

  // A direct room is named after the other person, so its members are needed for the list.
  #loadDirectMembers(roomId) {
    this.store.members.set(roomId, new Map());
    this.api.get(`/v1/rooms/${enc(roomId)}/members`).then(({ members }) => {
      this.store.members.set(roomId, new Map(members.map((m) => [m.userId, m])));
      this.store.changed('rooms', 'members');
    }, () => this.store.members.delete(roomId));
  }

  async loadMembers(roomId) {
    const [{ members }, { online }] = await Promise.all([
      this.api.get(`/v1/rooms/${enc(roomId)}/members`),
      this.api.get(`/v1/rooms/${enc(roomId)}/presence`),
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
      const seq = Math.max(this.sync.lastSeq(room.id), this.store.newestSeq(room.id));
      if (seq <= (room.lastReadSeq ?? 0) && !room.unreadCount) return;
      room.lastReadSeq = seq;
      room.unreadCount = 0;
      this.store.changed('rooms');
      this.api.post(`/v1/rooms/${enc(room.id)}/read`, { seq }).catch(() => (room.lastReadSeq = 0));
    }, 200);
  }
}
