// The pure parts of the Kafka consumer: failure classification, backoff,
// retry counts per message, and which handled offsets may be committed.
import t from 'tap';
import type { Offsets } from 'kafkajs';
import { classifyFailure, retryDelayMs } from '../src/events/consumer-retry-policy';
import { KafkaOffsetTracker } from '../src/events/kafka-offset-tracker';
import { KafkaPartitionRetries } from '../src/events/kafka-partition-retries';
import { AppError, ConflictError, PoisonEventError, UnavailableError, ValidationError } from '../src/kernel/errors';

t.test('only poison and invalid events are deterministic', async (t) => {
  const kind = (err: unknown) => classifyFailure(err);
  t.same(kind(new PoisonEventError('bad')), { kind: 'deterministic', reason: 'poison' });
  t.same(kind(new ValidationError('bad', 'body')), { kind: 'deterministic', reason: 'invalid' });
  t.same(kind(new AppError('VALIDATION_FAILED', 'remote said so')), { kind: 'deterministic', reason: 'invalid' });
  const unavailable = [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9200'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }),
    Object.assign(new Error('There are no living connections'), { name: 'NoLivingConnectionsError' }),
    Object.assign(new Error('es says 503'), { statusCode: 503 }),
    new UnavailableError('message service unreachable'),
    new Error('wrapped', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }),
  ];
  for (const err of unavailable) t.same(kind(err), { kind: 'transient', reason: 'dependency-unavailable' }, String(err));
  for (const err of [new Error('something odd'), new TypeError('x is undefined'), new ConflictError('race'), 'a string']) {
    t.same(kind(err), { kind: 'transient', reason: 'unknown' }, `not known to be deterministic: ${String(err)}`);
  }
});

t.test('backoff doubles from the base and stops at the cap', async (t) => {
  t.same([1, 2, 3, 4, 10, 1000].map((n) => retryDelayMs(n, 100, 30_000)), [100, 200, 400, 800, 30_000, 30_000]);
});

t.test('retry counts are per message; a revoked partition is resumed and forgotten', async (t) => {
  const retries = new KafkaPartitionRetries(100, 1_000);
  t.equal(retries.failed('room', 1, '7').failures, 1);
  t.equal(retries.failed('room', 1, '7').failures, 2);
  t.equal(retries.failed('room', 1, '8').delayMs, 100, 'the next message starts again at the base delay');
  let resumed = 0;
  retries.paused('room', 1, 60_000, () => resumed++);
  retries.paused('room', 1, 60_000, () => resumed++); // re-paused: the first timer is replaced, not run
  retries.keepOnly(() => true);
  t.equal(resumed, 0, 'still owned: still paused');
  retries.keepOnly(() => false);
  t.equal(resumed, 1, 'revoked: resumed once, at once');
  t.equal(retries.failed('room', 1, '8').failures, 1, 'and forgotten');
  retries.clear();
});

function trackerWithLog() {
  const commits: Offsets[] = [];
  const errors: { err: unknown; dropped: boolean }[] = [];
  const tracker = new KafkaOffsetTracker((err, dropped) => errors.push({ err, dropped }));
  return { tracker, commits, errors };
}
const offsetsOf = (o: Offsets) => o.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}:${p.partition}@${p.offset}`));

t.test('only marks of owned partitions, from the current assignment, are committed', async (t) => {
  const { tracker, commits } = trackerWithLog();
  const commit = async (o: Offsets) => void commits.push(o);
  tracker.assigned({ room: [0, 1] });
  const epoch1 = tracker.epoch;
  tracker.handled('room', 0, '5', epoch1, commit);
  tracker.handled('room', 2, '9', epoch1, commit); // never ours
  await tracker.commit();
  t.same(commits.map(offsetsOf), [['room:0@5']]);
  tracker.handled('room', 1, '3', epoch1, commit);
  tracker.assigned({ room: [0] }); // rebalance: 1 revoked before its mark was committed
  tracker.handled('room', 1, '4', epoch1, commit); // a batch of the old assignment finishing late
  await tracker.commit();
  t.equal(commits.length, 1, 'nothing of the revoked partition, nothing of the old epoch');
  tracker.handled('room', 0, '6', tracker.epoch, commit);
  tracker.lost(); // consumer crashed
  await tracker.commit();
  t.equal(commits.length, 1, 'a lost consumer commits nothing');
});

t.test('a commit refused for the generation is dropped; another failure is retried', async (t) => {
  const { tracker, commits, errors } = trackerWithLog();
  let fail: unknown;
  const commit = async (o: Offsets) => {
    if (fail) throw fail;
    commits.push(o);
  };
  tracker.assigned({ room: [0] });
  fail = Object.assign(new Error('timeout'), { type: 'REQUEST_TIMED_OUT' });
  tracker.handled('room', 0, '5', tracker.epoch, commit);
  await tracker.commit();
  fail = undefined;
  await tracker.commit();
  t.same(commits.map(offsetsOf), [['room:0@5']], 'kept and committed on the next round');
  fail = Object.assign(new Error('The provided member is not known in the current generation'), { type: 'UNKNOWN_MEMBER_ID' });
  tracker.handled('room', 0, '6', tracker.epoch, commit);
  await tracker.commit();
  fail = undefined;
  await tracker.commit();
  t.equal(commits.length, 1, 'never retried under a later generation');
  t.same(errors.map((e) => e.dropped), [false, true]);
});
