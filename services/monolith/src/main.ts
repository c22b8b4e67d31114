import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, type Config } from '@chat/shared/kernel/config';
import { buildMonolith } from './app';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  throw err;
}

const { app, close } = await buildMonolith(config);
closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down: draining sockets and flushing writes');
  await close();
});
await app.listen({ port: config.port, host: config.host });
