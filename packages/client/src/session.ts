import { ChatApiError, errorFromResponse } from './errors';

/** A token answer of register, login or refresh. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

/** A stored token pair, with when it was received (ms since the epoch). */
export interface StoredTokens extends TokenPair {
  receivedAt: number;
}

/** What the realtime client needs of a session. `Session` is one; a custom one can wrap the app's own token store. */
export interface TokenProvider {
  /** A usable access token, refreshed first when it is due. */
  getAccessToken(): Promise<string>;
  /** Forces a refresh (after the server refused the token); resolves with the new access token. */
  refresh?(): Promise<string>;
  /** When (ms since the epoch) the access token should be refreshed; undefined when unknown (then no proactive re-auth). */
  refreshDueAt?(): number | undefined;
}

export interface SessionOptions {
  /** The API origin, e.g. `https://chat.example.com` (no `/v1`). */
  baseUrl: string;
  /** A pair stored earlier (e.g. from localStorage). */
  tokens?: StoredTokens | TokenPair;
  /** Called with every new pair (login, register, refresh): persist it here. The old refresh token no longer works. */
  onTokens?: (tokens: StoredTokens | undefined) => void;
  /** Share of the access token's life after which it is refreshed. Default 0.8. */
  refreshAt?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /**
   * Runs each refresh exclusively across the app's instances, e.g. browser tabs
   * sharing one stored refresh token: `(fn) => navigator.locks.request('chat.refresh', fn)`.
   * Default: only single-flight within this Session.
   */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  /**
   * Reads the newest stored refresh token (inside `exclusive`, just before the
   * exchange): another tab may have refreshed, spending the one this Session holds.
   * A missing token means the login ended elsewhere: the refresh fails with 401.
   */
  latestRefreshToken?: () => string | null | undefined;
}

/**
 * Holds the token pair and refreshes it (POST /v1/auth/refresh), one refresh at
 * a time: two callers asking at once share one call, since presenting a used
 * refresh token revokes the whole login.
 */
export class Session implements TokenProvider {
  private current: StoredTokens | undefined;
  private inflight: Promise<string> | undefined;
  private readonly listeners = new Set<(t: StoredTokens | undefined) => void>();
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  readonly baseUrl: string;

  constructor(private readonly options: SessionOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.now = options.now ?? Date.now;
    if (options.tokens) this.current = { receivedAt: this.now(), ...options.tokens };
    if (options.onTokens) this.listeners.add(options.onTokens);
  }

  get tokens(): StoredTokens | undefined {
    return this.current;
  }

  /** Adds a listener for new pairs; returns its remover. */
  onTokens(fn: (t: StoredTokens | undefined) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stores a pair (from register/login/refresh) and tells the listeners. */
  setTokens(pair: TokenPair | undefined): void {
    this.current = pair ? { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: pair.expiresIn, receivedAt: this.now() } : undefined;
    for (const fn of this.listeners) fn(this.current);
  }

  /**
   * Starts from a stored refresh token alone (a page reload keeps only that): the
   * first getAccessToken() refreshes. Listeners are not told (nothing new to persist).
   */
  restore(refreshToken: string): void {
    this.current = { accessToken: '', refreshToken, expiresIn: 0, receivedAt: this.now() };
  }

  refreshDueAt(): number | undefined {
    const t = this.current;
    if (!t || !(t.expiresIn > 0)) return undefined;
    return t.receivedAt + t.expiresIn * 1000 * (this.options.refreshAt ?? 0.8);
  }

  async getAccessToken(): Promise<string> {
    if (this.inflight) return this.inflight;
    const t = this.current;
    if (!t) throw new ChatApiError(401, 'UNAUTHENTICATED', 'not logged in');
    if (!t.accessToken) return this.refresh();
    const due = this.refreshDueAt();
    if (due !== undefined && this.now() >= due) return this.refresh();
    return t.accessToken;
  }

  refresh(): Promise<string> {
    const run = () => this.doRefresh();
    this.inflight ??= (this.options.exclusive ? this.options.exclusive(run) : run()).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async doRefresh(): Promise<string> {
    const t = this.current;
    if (!t) throw new ChatApiError(401, 'UNAUTHENTICATED', 'not logged in');
    let refreshToken = t.refreshToken;
    if (this.options.latestRefreshToken) {
      const latest = this.options.latestRefreshToken();
      if (!latest) {
        if (this.current === t) this.setTokens(undefined);
        throw new ChatApiError(401, 'UNAUTHENTICATED', 'the login ended elsewhere');
      }
      refreshToken = latest;
    }
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
    } catch (err) {
      throw new ChatApiError(0, 'NETWORK', `refresh failed: ${(err as Error)?.message ?? err}`);
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const err = errorFromResponse(res, body);
      // The refresh token is spent or revoked: this session is over.
      if (res.status === 401 && this.current === t) this.setTokens(undefined);
      throw err;
    }
    const pair = body as TokenPair;
    this.setTokens(pair);
    return pair.accessToken;
  }

  /** Forgets the pair locally (see ChatHttpClient.logout for the server side). */
  clear(): void {
    this.setTokens(undefined);
  }
}
