import { createServiceApp } from '@chat/shared/http/service-app';
import { runService } from '@chat/shared/runtime/run-service';
import { webModule } from './web.plugin';

/** Phase 3 web service: the browser page as static files, behind the gateway. */
await runService(async (config) => {
  const { app } = createServiceApp(config, 'web', () => ({}));
  await app.register(webModule);
  return { app, close: () => app.close() };
}, 'web');
