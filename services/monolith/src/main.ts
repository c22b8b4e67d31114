import { runService } from '@chat/shared/runtime/run-service';
import { buildMonolith } from './app';

await runService(buildMonolith);
