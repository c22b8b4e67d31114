import t from 'tap';

// Whatever a failed case leaves behind (a socket, a timer), the file ends: it says what was left, then exits.
t.teardown(() => {
  setTimeout(() => {
    console.error(`# still alive 15 s after the last test: ${process.getActiveResourcesInfo().join(', ')}`);
    process.exit();
  }, 15_000).unref();
});
import { Phase3Cluster, phase3Available } from '@chat/shared/testing/phase3-cluster';
import { runBlackbox } from './run-suites';

// The same black-box suite against Phase 3: every service its own process (3 ws and 2 message instances),
// Kafka between them, behind HAProxy.
if (!phase3Available()) {
  t.plan(0, 'needs DATABASE_URL (mysql), REDIS_URL, KAFKA_BROKERS and ELASTICSEARCH_URL (see scripts/services.sh); phase 3 is skipped');
} else {
  runBlackbox(t, new Phase3Cluster());
}
