// The seed's user ramp: 100 → 500 → 1,000 → 2,000 users then hold (PROFILE=seed),
// up to 10,000 (PROFILE=10k), or a one-minute check (PROFILE=smoke, default).
// Each VU is one user: register + login once, join a room of ROOM_SIZE users,
// then loop: WebSocket connect + auth + subscribe (resuming with sinceSeq),
// receive, send over WS at USER_MSG_RATE, and read the history over HTTP.
// k6 run -e BASE_URL=http://127.0.0.1:3000 -e PROFILE=seed loadtest/k6/users.js
import { sleep } from 'k6';
import { addMember, createRoom, history, login, refresh, register, uniqueName } from './lib/api.js';
import { wsSession } from './lib/ws.js';
import { ROOM_SIZE, SESSION_SECONDS, THRESHOLDS, USER_MSG_RATE, maxUsers, stages } from './lib/config.js';

/** @type {import('k6/options').Options} */
export const options = {
  setupTimeout: '10m',
  scenarios: {
    users: { executor: 'ramping-vus', startVUs: 0, stages: stages(), gracefulRampDown: '30s', gracefulStop: '30s' },
  },
  thresholds: THRESHOLDS,
};

/** @typedef {{ ownerToken: string, roomIds: string[] }} Data */

/** @returns {Data} */
export function setup() {
  const owner = register(uniqueName('k6o'), 'load-test-pw-1');
  if (!owner) throw new Error('setup: could not register the room owner');
  const n = Math.ceil(maxUsers() / ROOM_SIZE);
  const roomIds = [];
  for (let i = 0; i < n; i++) {
    const room = createRoom(owner.accessToken, `k6 users ${i}`);
    if (room) roomIds.push(room.id);
  }
  return { ownerToken: owner.accessToken, roomIds };
}

/** @type {{ token: string, refreshToken: string, issuedAt: number, userId: string, roomId: string } | null} */
let me = null;
/** @type {Record<string, number>} */
let resume = {};

/** @param {Data} data */
export default function (data) {
  if (!me) {
    const username = uniqueName('k6u');
    const password = 'load-test-pw-1';
    if (!register(username, password)) return sleep(1);
    const s = login(username, password);
    // Rooms fill one after another, so a room has ROOM_SIZE members as soon as possible.
    const roomId = data.roomIds[Math.floor((__VU - 1) / ROOM_SIZE) % data.roomIds.length];
    if (!s || !roomId) return sleep(1);
    if (!addMember(data.ownerToken, roomId, s.user.id)) return sleep(1);
    me = { token: s.accessToken, refreshToken: s.refreshToken, issuedAt: Date.now(), userId: s.user.id, roomId };
  }
  // Access tokens last 15 minutes; the seed profile runs 27.
  if (Date.now() - me.issuedAt > 10 * 60_000) {
    const r = refresh(me.refreshToken);
    if (r) me = { ...me, token: r.accessToken, refreshToken: r.refreshToken, issuedAt: Date.now() };
  }
  history(me.token, me.roomId, 50);
  resume = wsSession({
    token: me.token,
    userId: me.userId,
    roomIds: [me.roomId],
    sinceSeq: resume,
    seconds: Math.min(SESSION_SECONDS, 300),
    msgsPerSecond: USER_MSG_RATE,
    idPrefix: `u${__VU}-${__ITER}`,
  });
}
