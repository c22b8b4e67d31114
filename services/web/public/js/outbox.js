// Optimistic sends: shown at once as pending, then as stored once acknowledged.
// The retrying itself (same clientMsgId over the socket, over HTTP while it is
// down, until acknowledged) is @sturdy-chat/client's RealtimeClient.send.

export class Outbox {
  #waiting = new Map(); // clientMsgId -> {roomId, clientMsgId, body}

  /**
   * @param {import('./state.js').Store} store
   * @param {{ send: (roomId: string, body: string, o: { clientMsgId: string, timeoutMs: number }) => Promise<{ messageId: string, seq: number }> }} live
   * @param {() => string} newClientMsgId
   */
  constructor(store, live, newClientMsgId) {
    this.store = store;
    this.live = live;
    this.newClientMsgId = newClientMsgId;
  }

  send(roomId, body) {
    const entry = { roomId, clientMsgId: this.newClientMsgId(), body };
    this.#waiting.set(entry.clientMsgId, entry);
    this.store.addPending(roomId, { clientMsgId: entry.clientMsgId, body, createdAt: new Date().toISOString(), failed: false });
    this.#attempt(entry);
  }

  /** Tries a failed message again, with the same clientMsgId (it cannot be stored twice). */
  retry(clientMsgId) {
    const entry = this.#waiting.get(clientMsgId);
    if (!entry) return;
    this.#markFailed(entry, false);
    this.#attempt(entry);
  }

  #attempt(entry) {
    // No timeout: pending until stored, or refused for good (then shown as failed, with a retry).
    this.live.send(entry.roomId, entry.body, { clientMsgId: entry.clientMsgId, timeoutMs: Number.POSITIVE_INFINITY }).then(
      (ack) => this.#done(entry, ack),
      () => this.#waiting.has(entry.clientMsgId) && this.#markFailed(entry, true),
    );
  }

  #done(entry, { messageId, seq }) {
    if (!this.#waiting.delete(entry.clientMsgId)) return;
    const map = this.store.messages.get(entry.roomId);
    if (map && !map.has(messageId)) {
      // Shown until its message.posted event brings the stored message.
      const provisional = { id: messageId, roomId: entry.roomId, seq, senderId: this.store.me.id, clientMsgId: entry.clientMsgId, body: entry.body.trim(), createdAt: new Date().toISOString(), editedAt: null, deleted: false };
      this.store.putMessages(entry.roomId, [provisional]);
    }
    this.store.pending.get(entry.roomId)?.delete(entry.clientMsgId);
    this.store.changed('messages');
  }

  #markFailed(entry, failed) {
    const shown = this.store.pending.get(entry.roomId)?.get(entry.clientMsgId);
    if (shown) shown.failed = failed;
    this.store.changed('messages');
  }
}
