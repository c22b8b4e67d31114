// Applies each room's timeline exactly once and in seq order. Frames with a
// seq already seen are dropped; a gap is filled from GET /events before
// anything after it is applied.

export class TimelineSync {
  #seen = new Map(); // roomId -> last applied seq
  #held = new Map(); // roomId -> Map<seq, event> waiting for a gap to close
  #filling = new Set();

  /** @param {{ onEvent: (event: any) => void }} hooks */
  constructor(api, hooks) {
    this.api = api;
    this.hooks = hooks;
  }

  /** Starts following a room from `seq` (its lastSeq when we learned of it). */
  track(roomId, seq) {
    if (!this.#seen.has(roomId)) this.#seen.set(roomId, seq);
  }

  forget(roomId) {
    this.#seen.delete(roomId);
    this.#held.delete(roomId);
  }

  isTracked(roomId) {
    return this.#seen.has(roomId);
  }

  lastSeq(roomId) {
    return this.#seen.get(roomId) ?? 0;
  }

  /** What to subscribe to after every (re)connect: nothing missed, nothing twice. */
  subscriptions() {
    return [...this.#seen].map(([roomId, sinceSeq]) => ({ roomId, sinceSeq }));
  }

  receive(roomId, seq, event) {
    if (!this.#seen.has(roomId) || seq <= this.#seen.get(roomId)) return;
    if (!this.#held.has(roomId)) this.#held.set(roomId, new Map());
    this.#held.get(roomId).set(seq, event);
    this.#drain(roomId);
    if (this.#held.get(roomId)?.size) void this.#fill(roomId);
  }

  #drain(roomId) {
    const held = this.#held.get(roomId);
    if (!held) return;
    for (let next = this.#seen.get(roomId) + 1; held.has(next); next++) {
      const event = held.get(next);
      held.delete(next);
      this.#seen.set(roomId, next);
      this.hooks.onEvent(event);
      if (!this.#seen.has(roomId)) return; // the event removed the room
    }
    for (const seq of held.keys()) if (seq <= this.#seen.get(roomId)) held.delete(seq);
  }

  async #fill(roomId) {
    if (this.#filling.has(roomId)) return;
    this.#filling.add(roomId);
    try {
      while (this.#held.get(roomId)?.size) {
        const after = this.#seen.get(roomId);
        const page = await this.api.get(`/v1/rooms/${encodeURIComponent(roomId)}/events?after=${after}&limit=500`);
        for (const event of page.events) this.#held.get(roomId)?.set(event.seq, event);
        this.#drain(roomId);
        if (!page.hasMore && this.#seen.get(roomId) === after) break; // nothing new: leave the rest to the socket
      }
    } catch {
      setTimeout(() => this.#held.get(roomId)?.size && this.#fill(roomId), 1000);
    } finally {
      this.#filling.delete(roomId);
    }
  }
}
