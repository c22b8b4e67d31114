import t from 'tap';
import type { FastifyRequest } from 'fastify';
import { DebtBucket, Slots, UserReplayBudget } from '../src/replay-budget';
import { normalizedOrigin, originAllowed, originPolicy } from '../src/ws.plugin';

t.test('a debt bucket lets work start while it owes nothing, and says how long until it does', async (t) => {
  const b = new DebtBucket(1000, 1000, 0);
  t.equal(b.waitMs(0), 0, 'full');
  b.charge(1500, 0); // a page bigger than what was left: allowed, then owed
  t.equal(b.waitMs(0), 500, 'owes 500 at 1000/s');
  t.equal(b.waitMs(250), 250, 'refills while waiting');
  t.equal(b.waitMs(500), 0, 'out of debt');
  t.equal(b.msUntilFull(500), 1000);
  t.equal(b.msUntilFull(5000), 0, 'never holds more than its burst');
});

t.test('slots are taken first come first served', async (t) => {
  const slots = new Slots(1);
  const order: number[] = [];
  await slots.acquire();
  const waiting = [1, 2].map((i) => slots.acquire().then(() => order.push(i)));
  slots.release();
  await waiting[0];
  slots.release();
  await waiting[1];
  t.same(order, [1, 2]);
});

t.test('a user budget is idle once its reads are done and its buckets full', async (t) => {
  const u = new UserReplayBudget({ pageBytes: 1024, maxPageEvents: 200, socketBytesPerSecond: 1000, userBytesPerSecond: 1000, userMsPerSecond: 100, userReadsInFlight: 1 }, 0);
  t.equal(u.msUntilIdle(0), 0);
  await u.startRead();
  t.ok(u.msUntilIdle(0) > 0, 'a read under way');
  u.endRead(50, 0);
  t.equal(u.msUntilIdle(0), 500, '50 ms of reading owed at 100 ms/s');
});

t.test('origins compare scheme, host and port', async (t) => {
  t.equal(normalizedOrigin('https://Chat.Example:443'), 'https://chat.example');
  t.equal(normalizedOrigin('http://chat.example:80'), 'http://chat.example');
  t.equal(normalizedOrigin('null'), undefined);
  t.equal(normalizedOrigin('ws://chat.example'), undefined);
  t.equal(normalizedOrigin('https://chat.example/path'), undefined);
  const req = (origin: string | undefined, host: string, extra: Record<string, string> = {}, protocol = 'http') =>
    ({ headers: { host, ...(origin === undefined ? {} : { origin }), ...extra }, protocol }) as unknown as FastifyRequest;
  const own = originPolicy([]);
  t.ok(originAllowed(req('http://chat.example', 'chat.example'), own), 'own origin over http');
  t.notOk(originAllowed(req('https://chat.example', 'chat.example'), own), 'https page, plain connection');
  t.ok(originAllowed(req('https://chat.example', 'chat.example', {}, 'https'), own), 'own origin over TLS');
  t.notOk(originAllowed(req('http://chat.example', 'chat.example', {}, 'https'), own), 'http page, TLS connection');
  t.ok(originAllowed(req('https://chat.example', 'chat.example', { 'x-forwarded-proto': 'https' }), own), 'behind a TLS proxy');
  t.notOk(originAllowed(req('http://chat.example:8080', 'chat.example'), own), 'another port');
  t.ok(originAllowed(req(undefined, 'chat.example'), own), 'no Origin: not a browser');
  const listed = originPolicy(['https://chat.example']);
  t.ok(originAllowed(req('https://chat.example', 'chat.example'), listed), 'listed');
  t.notOk(originAllowed(req('http://chat.example', 'chat.example'), listed), 'the listed host over http');
  t.notOk(originAllowed(req('https://chat.example:8443', 'chat.example'), listed), 'the listed host on another port');
  t.ok(originAllowed(req('https://anything.example', 'chat.example'), originPolicy(['*'])), '*');
});
