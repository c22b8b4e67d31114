import t from 'tap';
import { exitWhenDone } from '@chat/shared/testing/exit-when-done';
import { Phase3Cluster, phase3Available } from '@chat/shared/testing/phase3-cluster';
import { runBlackbox } from './run-suites';

// A case that leaves a socket or a timer behind does not hold the file open.
exitWhenDone(t);

// The same black-box suite against Phase 3: every service its own process (3 ws and 2 message instances),
// Kafka between them, behind HAProxy.
if (!phase3Available()) {
  t.plan(0, 'needs DATABASE_URL (mysql), REDIS_URL, KAFKA_BROKERS and ELASTICSEARCH_URL (see scripts/services.sh); phase 3 is skipped');
} else {
  runBlackbox(t, new Phase3Cluster());
}
