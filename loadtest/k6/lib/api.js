// Every HTTP call of the k6 scripts goes through `req(method, routePattern, …)`
// so that loadtest/test/k6-scripts.test.ts can check each route against API.md.
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL } from './config.js';

/** @typedef {{ id: string, username: string }} User */
/** @typedef {{ user: User, accessToken: string, refreshToken: string }} Session */
/** @typedef {{ id: string, lastSeq: number }} Room */
/** @typedef {{ id: string, seq: number, body: string }} Message */

/**
 * One API call. `pattern` is the route as written in API.md (`/v1/rooms/:roomId`);
 * `:name` segments are filled from `params`. The k6 `name` tag is the pattern,
 * so per-route latency stays aggregated.
 * @param {'GET'|'POST'|'PATCH'|'DELETE'} method
 * @param {string} pattern
 * @param {{ params?: Record<string, string>, query?: string, body?: unknown, token?: string }} [opts]
 */
export function req(method, pattern, opts = {}) {
  const path = pattern.replace(/:(\w+)/g, (_m, /** @type {string} */ name) => {
    const v = opts.params?.[name];
    if (v === undefined) throw new Error(`missing path param ${name} for ${pattern}`);
    return encodeURIComponent(v);
  });
  const url = `${BASE_URL}${path}${opts.query ? `?${opts.query}` : ''}`;
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.body === undefined ? null : JSON.stringify(opts.body);
  return http.request(method, url, body, { headers, tags: { name: `${method} ${pattern}` } });
}

/** @param {import('k6/http').RefinedResponse<any>} res @param {number[]} ok */
function expectStatus(res, ok) {
  check(res, { [`status ${ok.join('|')}`]: (r) => ok.includes(r.status) });
  return ok.includes(res.status);
}

/** @param {import('k6/http').RefinedResponse<any>} res */
function json(res) {
  return /** @type {any} */ (res.json());
}

/** @param {string} username @param {string} password @returns {Session | null} */
export function register(username, password) {
  const res = req('POST', '/v1/auth/register', { body: { username, password } });
  return expectStatus(res, [201]) ? json(res) : null;
}

/** @param {string} username @param {string} password @returns {Session | null} */
export function login(username, password) {
  const res = req('POST', '/v1/auth/login', { body: { username, password } });
  return expectStatus(res, [200]) ? json(res) : null;
}

/** @param {string} refreshToken @returns {{ accessToken: string, refreshToken: string } | null} */
export function refresh(refreshToken) {
  const res = req('POST', '/v1/auth/refresh', { body: { refreshToken } });
  return expectStatus(res, [200]) ? json(res) : null;
}

/** @param {string} token @returns {User | null} */
export function me(token) {
  const res = req('GET', '/v1/users/me', { token });
  return expectStatus(res, [200]) ? json(res).user : null;
}

/** @param {string} token @param {string} name @param {string[]} [memberIds] @returns {Room | null} */
export function createRoom(token, name, memberIds = []) {
  const res = req('POST', '/v1/rooms', { token, body: { type: 'group', name, memberIds } });
  return expectStatus(res, [201]) ? json(res).room : null;
}

/** Owner/admin adds a user ("join" goes through the owner in this API). */
/** @param {string} ownerToken @param {string} roomId @param {string} userId */
export function addMember(ownerToken, roomId, userId) {
  const res = req('POST', '/v1/rooms/:roomId/members', { token: ownerToken, params: { roomId }, body: { userId } });
  return expectStatus(res, [200, 201]);
}

/** @param {string} token @returns {Room[]} */
export function listRooms(token) {
  const res = req('GET', '/v1/rooms', { token });
  return expectStatus(res, [200]) ? json(res).rooms : [];
}

/** @param {string} token @param {string} roomId @param {string} clientMsgId @param {string} body @returns {Message | null} */
export function postMessage(token, roomId, clientMsgId, body) {
  const res = req('POST', '/v1/rooms/:roomId/messages', { token, params: { roomId }, body: { clientMsgId, body } });
  return expectStatus(res, [200, 201]) ? json(res).message : null;
}

/** @param {string} token @param {string} roomId @param {number} [limit] @returns {Message[]} */
export function history(token, roomId, limit = 50) {
  const res = req('GET', '/v1/rooms/:roomId/messages', { token, params: { roomId }, query: `limit=${limit}` });
  return expectStatus(res, [200]) ? json(res).messages : [];
}

/** @param {string} token @param {string} roomId @param {number} after @returns {{ seq: number }[]} */
export function events(token, roomId, after) {
  const res = req('GET', '/v1/rooms/:roomId/events', { token, params: { roomId }, query: `after=${after}&limit=100` });
  return expectStatus(res, [200]) ? json(res).events : [];
}

/** @param {string} token @param {string} roomId @param {number} seq */
export function markRead(token, roomId, seq) {
  return expectStatus(req('POST', '/v1/rooms/:roomId/read', { token, params: { roomId }, body: { seq } }), [204]);
}

/** A unique-enough username for this run (3–32 of a-z0-9_.-). */
/** @param {string} prefix */
export function uniqueName(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`.slice(0, 32);
}
