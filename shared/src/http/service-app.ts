import Fastify, { type FastifyInstance } from 'fastify';
import { AccessTokens } from '../auth/access-token';
import type { Config } from '../kernel/config';
import { createMetrics, registerHttpMetrics, type Metrics } from '../metrics/metrics';
import { registerAuthentication } from './authenticate';
import { frameworkErrorHandler, registerErrorHandling } from './error-handler';
import { registerOperations } from './operations';

const BODY_LIMIT = 1024 * 1024;

export interface ServiceApp {
  app: FastifyInstance;
  metrics: Metrics;
  tokens: AccessTokens;
}

/**
 * The HTTP shell every service shares: the contract's error body, access-token
 * auth on /v1 routes, a 1 MiB body limit, no type coercion of JSON bodies,
 * /metrics, /healthz and /readyz (over the given checks).
 */
export function createServiceApp(config: Config, service: string, checks: () => Record<string, () => Promise<void>>): ServiceApp {
  const app = Fastify({
    logger: { level: config.logLevel, base: { service } },
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    routerOptions: { maxParamLength: 1000 },
  });
  const metrics = createMetrics(service);
  const tokens = new AccessTokens(config.jwt);
  registerErrorHandling(app);
  registerAuthentication(app, tokens);
  registerHttpMetrics(app, metrics);
  registerOperations(app, checks);
  return { app, metrics, tokens };
}
