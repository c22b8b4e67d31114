// One reconnecting WebSocket to /v1/ws: auth frame first, then `ready`;
// on every (re)connect the owner re-subscribes with sinceSeq, so nothing is lost.

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
const PING_EVERY_MS = 20_000;
const SILENCE_LIMIT_MS = 45_000;

export class ChatSocket {
  #ws = null;
  #attempt = 0;
  #reconnectTimer = null;
  #pingTimer = null;
  #lastFrameAt = 0;
  #stopped = true;
  #connecting = false;
  #lateToken = null;
  status = 'offline'; // offline | connecting | ready

  /**
   * @param {{ token: () => Promise<string | null>, onReady: () => void,
   *           onFrame: (frame: any) => void, onStatus: (status: string) => void,
   *           onUnauthorized: () => Promise<unknown> }} hooks
   */
  constructor(hooks) {
    this.hooks = hooks;
    addEventListener('offline', () => this.#drop());
    addEventListener('online', () => this.#reconnectNow());
  }

  start() {
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#drop();
  }

  /** Sends a frame when the socket is ready; false otherwise (the caller falls back). */
  send(frame) {
    if (this.status !== 'ready' || this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /** Presents a fresh access token so the server does not close us at expiry. */
  reauth(token) {
    if (!token || this.#ws?.readyState !== WebSocket.OPEN) return;
    if (this.status === 'ready') this.#ws.send(JSON.stringify({ type: 'auth', token }));
    else this.#lateToken = token; // mid-handshake: present it once ready
  }

  async #connect() {
    if (this.#stopped || this.#ws || this.#connecting) return;
    if (!navigator.onLine) return this.#setStatus('offline'); // the 'online' event brings us back
    this.#connecting = true;
    this.#setStatus('connecting');
    let token;
    try {
      token = await this.hooks.token();
    } finally {
      this.#connecting = false;
    }
    if (this.#stopped || this.#ws) return;
    if (!token || !navigator.onLine) return this.#onUnreachable();
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`;
    const ws = new WebSocket(url);
    this.#ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onmessage = (msg) => this.#onMessage(ws, msg);
    ws.onclose = (ev) => this.#onClosed(ws, ev.code);
    ws.onerror = () => ws.close();
  }

  #onMessage(ws, msg) {
    if (ws !== this.#ws) return;
    this.#lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (frame.type === 'ready') {
      if (this.status === 'ready') return; // answer to a re-auth
      this.#attempt = 0;
      this.#setStatus('ready');
      if (this.#lateToken) this.reauth(this.#lateToken);
      this.#lateToken = null;
      this.#startPings(ws);
      this.hooks.onReady();
      return;
    }
    this.hooks.onFrame(frame);
  }

  #onClosed(ws, code) {
    if (ws !== this.#ws) return;
    this.#ws = null;
    clearInterval(this.#pingTimer);
    this.#setStatus('offline');
    // 4401: the token was refused or ran out; get a fresh one before trying again.
    if (code === 4401) this.hooks.onUnauthorized().finally(() => this.#scheduleReconnect());
    else this.#scheduleReconnect();
  }

  /** Forgets the current socket at once (the network is gone), then reconnects later. */
  #drop() {
    const ws = this.#ws;
    if (!ws) return this.#setStatus('offline');
    this.#onClosed(ws);
    ws.onclose = ws.onmessage = ws.onerror = null;
    try {
      ws.close();
    } catch {
      /* already closed */
    }
  }

  #onUnreachable() {
    this.#setStatus('offline');
    this.#scheduleReconnect();
  }

  #reconnectNow() {
    this.#attempt = 0;
    clearTimeout(this.#reconnectTimer);
    this.#connect();
  }

  #scheduleReconnect() {
    if (this.#stopped) return;
    clearTimeout(this.#reconnectTimer);
    const ceiling = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.#attempt++);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter spreads a crowd of reconnects
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  // App-level pings find a socket that died silently (a browser cannot see WS pings).
  #startPings(ws) {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (Date.now() - this.#lastFrameAt > SILENCE_LIMIT_MS) return ws.close();
      this.send({ type: 'ping' });
    }, PING_EVERY_MS);
  }

  #setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.hooks.onStatus(status);
  }
}
