import t from 'tap';
import { hasRealServices, ServerProcess } from '@chat/shared/testing/server-process';
import { runBlackbox } from './run-suites';

// The black-box suite against real MySQL and Redis (DATABASE_URL=mysql://…, REDIS_URL=redis://…).
if (!hasRealServices()) {
  t.plan(0, 'needs DATABASE_URL=mysql://… and REDIS_URL (see scripts/services.sh); the mysql target is skipped');
} else {
  runBlackbox(t, new ServerProcess({ target: 'mysql' }));
}
