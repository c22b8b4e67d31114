// Flow: send messages over HTTP at a fixed arrival rate, and read history.
// k6 run -e BASE_URL=… -e RATE=500 -e HISTORY_RATE=50 -e ROOMS=100 -e DURATION=2m loadtest/k6/messages.js
// The arrival-rate executor is open-loop: a slow server does not slow the senders.
import { history, postMessage, register, addMember, createRoom, uniqueName } from './lib/api.js';
import { THRESHOLDS } from './lib/config.js';

const ROOMS = Number(__ENV.ROOMS || '100');
const DURATION = __ENV.DURATION || '1m';

/** @type {import('k6/options').Options} */
export const options = {
  setupTimeout: '5m',
  scenarios: {
    send: {
      executor: 'constant-arrival-rate',
      exec: 'send',
      rate: Number(__ENV.RATE || '200'),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 100,
      maxVUs: 2000,
    },
    history: {
      executor: 'constant-arrival-rate',
      exec: 'readHistory',
      rate: Number(__ENV.HISTORY_RATE || '20'),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 20,
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_duration: THRESHOLDS.http_req_duration,
    'http_req_duration{name:POST /v1/rooms/:roomId/messages}': THRESHOLDS['http_req_duration{name:POST /v1/rooms/:roomId/messages}'],
    'http_req_duration{name:GET /v1/rooms/:roomId/messages}': ['p(95)<200', 'p(99)<500'],
    http_req_failed: THRESHOLDS.http_req_failed,
    checks: THRESHOLDS.checks,
  },
};

/** @typedef {{ senders: { token: string }[], roomIds: string[] }} Data */

/** @returns {Data} */
export function setup() {
  // 10 senders, each a member of every room.
  const senders = [];
  for (let i = 0; i < 10; i++) {
    const s = register(uniqueName('k6m'), 'load-test-pw-1');
    if (s) senders.push(s);
  }
  const owner = senders[0];
  if (!owner) throw new Error('setup: could not register users');
  const roomIds = [];
  for (let i = 0; i < ROOMS; i++) {
    const room = createRoom(owner.accessToken, `k6 messages ${i}`, senders.slice(1).map((s) => s.user.id));
    if (room) roomIds.push(room.id);
  }
  if (roomIds.length > 0 && senders[1]) addMember(owner.accessToken, roomIds[0] ?? '', senders[1].user.id);
  return { senders: senders.map((s) => ({ token: s.accessToken })), roomIds };
}

/** @param {Data} data */
export function send(data) {
  const sender = data.senders[__VU % data.senders.length];
  const roomId = data.roomIds[__ITER % data.roomIds.length];
  if (!sender || !roomId) return;
  const clientMsgId = `k6-${__VU}-${__ITER}`;
  postMessage(sender.token, roomId, clientMsgId, JSON.stringify({ t: Date.now(), id: clientMsgId }));
}

/** @param {Data} data */
export function readHistory(data) {
  const sender = data.senders[__VU % data.senders.length];
  const roomId = data.roomIds[(__VU * 7 + __ITER) % data.roomIds.length];
  if (!sender || !roomId) return;
  history(sender.token, roomId, 50);
}
