// HTTP client for /v1 with the session's tokens: access token in memory,
// refresh token in localStorage; refreshes on 401 and before expiry.

export const REFRESH_KEY = 'chat.refreshToken';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  #accessToken = null;
  #refreshing = null;
  #refreshTimer = null;
  #refreshDueAt = 0;
  /** Called with the new access token after each refresh (the socket re-auths). */
  onToken = () => {};
  /** Called when the session is gone for good (refresh refused). */
  onSignedOut = () => {};

  get accessToken() {
    return this.#accessToken;
  }

  /** The access token, refreshed first if its refresh is overdue (it failed while the server was away). */
  async freshToken() {
    if (this.#accessToken && Date.now() < this.#refreshDueAt) return this.#accessToken;
    await this.refresh().catch(() => {});
    return this.#accessToken;
  }

  hasStoredSession() {
    return Boolean(localStorage.getItem(REFRESH_KEY));
  }

  async register(username, password, displayName) {
    const body = { username, password, ...(displayName ? { displayName } : {}) };
    return this.#startSession(await this.#fetch('POST', '/v1/auth/register', body, false));
  }

  async login(username, password) {
    return this.#startSession(await this.#fetch('POST', '/v1/auth/login', { username, password }, false));
  }

  /** Resumes a session from the stored refresh token; resolves to the user or null. */
  async resume() {
    if (!this.hasStoredSession()) return null;
    try {
      await this.refresh();
      return (await this.get('/v1/users/me')).user;
    } catch {
      return null;
    }
  }

  async logout() {
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    this.#clear();
    if (refreshToken) await this.#fetch('POST', '/v1/auth/logout', { refreshToken }, false).catch(() => {});
  }

  /**
   * Exchanges the refresh token once, however many callers ask at the same
   * time. Tabs share the token, and presenting a used one revokes the login,
   * so tabs take turns (Web Locks) and each reads the newest token in its turn.
   */
  refresh() {
    const exchange = () => this.#doRefresh();
    this.#refreshing ??= (navigator.locks ? navigator.locks.request('chat.refresh', exchange) : exchange())
      .finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #doRefresh() {
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    if (!refreshToken) throw new ApiError(401, 'UNAUTHENTICATED', 'not signed in');
    let answer;
    try {
      answer = await this.#fetch('POST', '/v1/auth/refresh', { refreshToken }, false);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.#clear();
        this.onSignedOut();
      }
      throw err;
    }
    this.#setTokens(answer);
    this.onToken(answer.accessToken);
    return answer.accessToken;
  }

  #startSession(answer) {
    this.#setTokens(answer);
    return answer.user;
  }

  #setTokens({ accessToken, refreshToken, expiresIn }) {
    this.#accessToken = accessToken;
    localStorage.setItem(REFRESH_KEY, refreshToken);
    clearTimeout(this.#refreshTimer);
    // Refresh a minute early (at half-life for short lifetimes) so neither HTTP
    // nor the socket ever carries an expired token, even on a busy machine.
    const lifeMs = Math.max(5, Number(expiresIn) || 900) * 1000;
    this.#scheduleRefresh(Math.max(lifeMs / 2, lifeMs - 60_000));
  }

  #scheduleRefresh(inMs) {
    clearTimeout(this.#refreshTimer);
    this.#refreshDueAt = Date.now() + inMs;
    this.#refreshTimer = setTimeout(() => {
      this.refresh().catch((err) => {
        // Unreachable server or network: try again soon. A 401 has already signed us out.
        if (!(err instanceof ApiError && err.status === 401)) this.#scheduleRefresh(2000);
      });
    }, inMs);
  }

  #clear() {
    this.#accessToken = null;
    clearTimeout(this.#refreshTimer);
    localStorage.removeItem(REFRESH_KEY);
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body) {
    return this.request('POST', path, body);
  }

  /** An authenticated call; on 401 refreshes the token and tries once more. */
  async request(method, path, body) {
    try {
      return await this.#fetch(method, path, body, true);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      await this.refresh();
      return this.#fetch(method, path, body, true);
    }
  }

  async #fetch(method, path, body, authed) {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (authed && this.#accessToken) headers.authorization = `Bearer ${this.#accessToken}`;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data?.error?.code, data?.error?.message);
    return data;
  }
}

export const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};
