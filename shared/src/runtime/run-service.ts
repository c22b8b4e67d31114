import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from '../kernel/config';

/**
 * Reads configuration (exit 78 naming the variable if bad), builds, listens,
 * and drains on SIGTERM/SIGINT. In Phase 3 one environment serves every
 * service: `<SERVICE>_PORT` and `<SERVICE>_DATABASE_URL` override PORT and
 * DATABASE_URL for the named service (e.g. MESSAGE_DATABASE_URL).
 */
export async function runService(build: (config: Config) => Promise<{ app: FastifyInstance; close: () => Promise<void> }>, service?: string): Promise<void> {
  const env = { ...process.env };
  if (service) {
    const prefix = service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    if (env[`${prefix}_PORT`]) env.PORT = env[`${prefix}_PORT`];
    if (env[`${prefix}_DATABASE_URL`]) env.DATABASE_URL = env[`${prefix}_DATABASE_URL`];
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const { app, close } = await build(config);
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down: draining sockets and flushing writes');
    await close();
  });
  await app.listen({ port: config.port, host: config.host });
}

/** A variable this service cannot run without: missing, the process stops naming it (exit 78). */
export function requireVariable(name: string, service: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`invalid configuration: ${name} is required for the ${service} service`);
    process.exit(78);
  }
  return value;
}
