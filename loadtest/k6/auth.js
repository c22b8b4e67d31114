// Flow: register + login (+ GET /v1/users/me) at a target rate.
// k6 run -e BASE_URL=http://127.0.0.1:3000 -e RATE=50 -e DURATION=1m loadtest/k6/auth.js
import { check } from 'k6';
import { login, me, register, uniqueName } from './lib/api.js';
import { THRESHOLDS } from './lib/config.js';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    auth: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || '20'),
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_duration: THRESHOLDS.http_req_duration,
    http_req_failed: THRESHOLDS.http_req_failed,
    checks: THRESHOLDS.checks,
  },
};

export default function () {
  const username = uniqueName('k6a');
  const password = 'load-test-pw-1';
  const reg = register(username, password);
  if (!reg) return;
  const sess = login(username, password);
  check(sess, { 'login gives a token': (s) => s !== null && typeof s.accessToken === 'string' });
  if (sess) me(sess.accessToken);
}
