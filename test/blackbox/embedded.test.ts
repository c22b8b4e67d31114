import t from 'tap';
import { ServerProcess } from '@chat/shared/testing/server-process';
import { runBlackbox } from './run-suites';

// The black-box suite against the embedded default (SQLite file, in-memory bus and cache).
runBlackbox(t, new ServerProcess({ target: 'embedded' }));
