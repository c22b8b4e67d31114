// The page's session, HTTP and realtime clients, all from @sturdy-chat/client
// (bundled for the browser at /js/vendor/sturdy-chat-client.js). What is
// page-specific lives here: the refresh token in localStorage, refreshes taken
// in turn across tabs (Web Locks), and the browser's online/offline events.

export const REFRESH_KEY = 'chat.refreshToken';

/**
 * @param {{ Session: any, ChatHttpClient: any, RealtimeClient: any }} lib the client package
 * @param {{ origin: string, storage: Storage, locks?: { request: (name: string, fn: () => Promise<any>) => Promise<any> },
 *           WebSocket?: any, realtime?: object }} env
 */
export function createClients(lib, { origin, storage, locks, WebSocket, realtime = {} }) {
  const session = new lib.Session({
    baseUrl: origin,
    // Tabs share the refresh token, and presenting a used one revokes the
    // login: tabs take turns, and each exchanges the newest token in its turn.
    ...(locks ? { exclusive: (fn) => locks.request('chat.refresh', fn) } : {}),
    latestRefreshToken: () => storage.getItem(REFRESH_KEY),
    // The access token stays in memory; only the refresh token survives a reload.
    onTokens: (tokens) => (tokens ? storage.setItem(REFRESH_KEY, tokens.refreshToken) : storage.removeItem(REFRESH_KEY)),
  });
  const http = new lib.ChatHttpClient({ baseUrl: origin, session });
  const live = new lib.RealtimeClient({
    url: origin, // → ws(s)://host/v1/ws
    tokens: session,
    httpFallback: http, // sends go over HTTP, same clientMsgId, while the socket is down
    watchBrowserNetwork: true, // drop at once when the browser goes offline, back at once when online
    backoff: { initialMs: 250, maxMs: 5000 },
    pingIntervalMs: 20_000,
    ...(WebSocket ? { WebSocket } : {}),
    ...realtime,
  });
  return { session, http, live };
}

/** Resumes the session from the stored refresh token; resolves to the user, or null. */
export async function resume({ session, http }, storage) {
  const refreshToken = storage.getItem(REFRESH_KEY);
  if (!refreshToken) return null;
  session.restore(refreshToken);
  try {
    return await http.me(); // the first call refreshes
  } catch {
    return null;
  }
}

/** What the connection dot shows for the realtime client's state. */
export function connectionStatus(state) {
  if (state === 'ready') return 'ready';
  if (state === 'connecting' || state === 'authenticating') return 'connecting';
  return 'offline';
}
