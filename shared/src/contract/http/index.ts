import type { RouteSpec } from './route-spec';
import * as auth from './auth';
import * as rooms from './rooms';
import * as messages from './messages';
import * as operations from './operations';

export { auth, rooms, messages, operations };

/** Every route of the public HTTP contract: what each phase serves and what /openapi.json describes. */
export const CONTRACT_ROUTES: readonly RouteSpec[] = [...Object.values(auth), ...Object.values(rooms), ...Object.values(messages), ...Object.values(operations)];
