// Flow: create rooms and join them (the owner adds members), list rooms.
// k6 run -e BASE_URL=… -e RATE=20 -e DURATION=1m loadtest/k6/rooms.js
import { addMember, createRoom, listRooms, register, uniqueName } from './lib/api.js';
import { THRESHOLDS } from './lib/config.js';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    rooms: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || '10'),
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: 20,
      maxVUs: 200,
    },
  },
  thresholds: {
    http_req_duration: THRESHOLDS.http_req_duration,
    http_req_failed: THRESHOLDS.http_req_failed,
    checks: THRESHOLDS.checks,
  },
};

/** @type {{ token: string, userId: string } | null} */
let self = null;
/** @type {string[]} */
let joinable = [];

export function setup() {
  // A pool of users that VUs add to the rooms they create.
  /** @type {string[]} */
  const ids = [];
  for (let i = 0; i < 20; i++) {
    const s = register(uniqueName('k6p'), 'load-test-pw-1');
    if (s) ids.push(s.user.id);
  }
  return { pool: ids };
}

/** @param {{ pool: string[] }} data */
export default function (data) {
  if (!self) {
    const s = register(uniqueName('k6r'), 'load-test-pw-1');
    if (!s) return;
    self = { token: s.accessToken, userId: s.user.id };
    joinable = data.pool;
  }
  const initial = joinable.slice(0, 5);
  const room = createRoom(self.token, `k6 room ${__VU}-${__ITER}`, initial);
  if (!room) return;
  for (const userId of joinable.slice(5, 10)) addMember(self.token, room.id, userId);
  if (__ITER % 10 === 0) listRooms(self.token);
}
