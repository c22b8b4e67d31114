// Sends messages until acknowledged, always with the same clientMsgId, so a
// retry can never make a second message. WebSocket first, HTTP when it is down.

const ACK_TIMEOUT_MS = 4000;
const MAX_RETRY_DELAY_MS = 5000;

export class Outbox {
  #waiting = new Map(); // clientMsgId -> {roomId, clientMsgId, body, attempts, timer, viaHttp}

  constructor(store, api, socket) {
    this.store = store;
    this.api = api;
    this.socket = socket;
  }

  send(roomId, body) {
    const entry = { roomId, clientMsgId: crypto.randomUUID(), body, attempts: 0, timer: null, viaHttp: false };
    this.#waiting.set(entry.clientMsgId, entry);
    this.store.addPending(roomId, { clientMsgId: entry.clientMsgId, body, createdAt: new Date().toISOString(), failed: false });
    this.#attempt(entry);
  }

  retry(clientMsgId) {
    const entry = this.#waiting.get(clientMsgId);
    if (!entry) return;
    this.#markFailed(entry, false);
    entry.attempts = 0;
    this.#attempt(entry);
  }

  /** The socket is back: resend everything not yet acknowledged. */
  resendAll() {
    for (const entry of this.#waiting.values()) if (!entry.failed && !entry.viaHttp) this.#attempt(entry);
  }

  onAck({ roomId, clientMsgId, messageId, seq }) {
    const entry = this.#waiting.get(clientMsgId);
    if (!entry) return;
    const me = this.store.me.id;
    const provisional = { id: messageId, roomId, seq, senderId: me, clientMsgId, body: entry.body.trim(), createdAt: new Date().toISOString(), editedAt: null, deleted: false };
    this.#done(entry, provisional);
  }

  onError(frame) {
    const entry = this.#waiting.get(frame.clientMsgId);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (frame.code === 'RATE_LIMITED' || frame.code === 'UNAVAILABLE' || frame.code === 'INTERNAL') this.#later(entry);
    else this.#markFailed(entry, true);
  }

  #attempt(entry) {
    clearTimeout(entry.timer);
    if (!this.#waiting.has(entry.clientMsgId) || entry.failed) return;
    entry.attempts++;
    const frame = { type: 'send', roomId: entry.roomId, clientMsgId: entry.clientMsgId, body: entry.body };
    if (this.socket.send(frame)) {
      entry.timer = setTimeout(() => this.#attempt(entry), ACK_TIMEOUT_MS);
      return;
    }
    if (entry.viaHttp) return;
    entry.viaHttp = true;
    this.api
      .post(`/v1/rooms/${encodeURIComponent(entry.roomId)}/messages`, { clientMsgId: entry.clientMsgId, body: entry.body })
      .then(({ message }) => this.#done(entry, message))
      .catch((err) => {
        const permanent = err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status);
        if (permanent) this.#markFailed(entry, true);
        else this.#later(entry);
      })
      .finally(() => (entry.viaHttp = false));
  }

  #later(entry) {
    const delay = Math.min(MAX_RETRY_DELAY_MS, 250 * 2 ** entry.attempts) * (0.5 + Math.random() / 2);
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.#attempt(entry), delay);
  }

  #done(entry, message) {
    clearTimeout(entry.timer);
    this.#waiting.delete(entry.clientMsgId);
    const map = this.store.messages.get(entry.roomId);
    if (map && !map.has(message.id)) this.store.putMessages(entry.roomId, [message]);
    this.store.pending.get(entry.roomId)?.delete(entry.clientMsgId);
    this.store.changed('messages');
  }

  #markFailed(entry, failed) {
    entry.failed = failed;
    const shown = this.store.pending.get(entry.roomId)?.get(entry.clientMsgId);
    if (shown) shown.failed = failed;
    this.store.changed('messages');
  }
}
