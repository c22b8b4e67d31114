// Shared configuration of every k6 scenario. The same scripts drive Phase 1
// (monolith) and Phase 3 (services behind one entry point): only BASE_URL changes.

/** Base URL of the chat API entry point (Phase 1 monolith or Phase 3 gateway). */
export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:3000').replace(/\/$/, '');
/** WebSocket URL derived from BASE_URL (http→ws, https→wss). */
export const WS_URL = `${BASE_URL.replace(/^http/, 'ws')}/v1/ws`;
/** `seed` (100→2,000 users, 27 min), `10k` (up to 10,000 users) or `smoke` (~1 min). */
export const PROFILE = __ENV.PROFILE || 'smoke';
/** Messages per second each connected user sends (ramping profiles). */
export const USER_MSG_RATE = Number(__ENV.USER_MSG_RATE || '0.2');
/** Members per room: users are spread over ceil(maxUsers / ROOM_SIZE) rooms. */
export const ROOM_SIZE = Number(__ENV.ROOM_SIZE || '10');
/** Length of one WebSocket session before the VU reconnects with sinceSeq. */
export const SESSION_SECONDS = Number(__ENV.SESSION_SECONDS || '60');

/** @typedef {{ duration: string, target: number }} Stage */

/** @type {Record<string, Stage[]>} */
export const STAGES = {
  // The seed plan: 100 → 500 → 1,000 → 2,000 users, then hold.
  seed: [
    { duration: '2m', target: 100 },
    { duration: '5m', target: 500 },
    { duration: '5m', target: 1000 },
    { duration: '5m', target: 2000 },
    { duration: '10m', target: 2000 },
  ],
  '10k': [
    { duration: '2m', target: 100 },
    { duration: '5m', target: 500 },
    { duration: '5m', target: 1000 },
    { duration: '5m', target: 2000 },
    { duration: '5m', target: 5000 },
    { duration: '5m', target: 10000 },
    { duration: '10m', target: 10000 },
  ],
  smoke: [
    { duration: '10s', target: 5 },
    { duration: '30s', target: 5 },
    { duration: '5s', target: 0 },
  ],
};

/** @returns {Stage[]} */
export function stages() {
  const s = STAGES[PROFILE];
  if (!s) throw new Error(`unknown PROFILE=${PROFILE}; use seed, 10k or smoke`);
  return s;
}

/** @returns {number} the highest user count of the selected profile */
export function maxUsers() {
  return Math.max(...stages().map((s) => s.target));
}

/** Thresholds: the run fails when p95/p99 latency or the error rate are too high. */
export const THRESHOLDS = {
  http_req_duration: ['p(95)<200', 'p(99)<500'],
  'http_req_duration{name:POST /v1/rooms/:roomId/messages}': ['p(95)<100', 'p(99)<250'],
  http_req_failed: ['rate<0.01'],
  checks: ['rate>0.99'],
  chat_ws_send_ack_ms: ['p(95)<100', 'p(99)<250'],
  chat_ws_deliver_ms: ['p(95)<100', 'p(99)<250'],
  chat_ws_errors: ['count<10'],
  chat_ws_seq_gaps: ['count==0'],
};
