import Fastify, { type FastifyInstance } from 'fastify';
import { AccessTokens } from '../auth/access-token';
import type { Config } from '../kernel/config';
import { createMetrics, registerHttpMetrics, type Metrics } from '../metrics/metrics';
import { AddressList } from './address-list';
import { registerAuthentication } from './authenticate';
import { applyConnectionLimits } from './connection-limits';
import { frameworkErrorHandler, registerErrorHandling } from './error-handler';
import { registerOperations } from './operations';
import { registerContractDocs } from './contract-docs';
import { httpShellMarker } from './module-plugin';
import { refuseIllFormedText } from './well-formed-input';
import { registerRequestDeadline } from './request-deadline';
import { recordRouteTable } from './route-table';
import { bodyStrictQueryCoercingValidators } from './request-validators';

const BODY_LIMIT = 1024 * 1024;

export interface ServiceApp {
  app: FastifyInstance;
  metrics: Metrics;
  tokens: AccessTokens;
}

/**
 * The HTTP shell every service shares: the contract's error body, access-token
 * auth on every route not declared public, a 1 MiB body limit, no type
 * coercion of JSON bodies, request timeouts and a connection cap per address,
 * /metrics (from allowed addresses), /healthz and /readyz (over the given checks).
 */
export function createServiceApp(config: Config, service: string, checks: () => Record<string, () => Promise<void>>): ServiceApp {
  const app = Fastify({
    logger: { level: config.logLevel, base: { service } },
    bodyLimit: BODY_LIMIT,
    // "Unknown fields are ignored" (API.md), `__proto__` and `constructor.prototype` too: dropped while
    // parsing (never reaching a prototype), where the default refused the body as not valid JSON.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: bodyStrictQueryCoercingValidators() } },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    routerOptions: { maxParamLength: 1000 },
    // request.ip is the client's address; behind a trusted proxy, the one it forwards (X-Forwarded-For).
    trustProxy: config.http.trustProxy.length > 0 ? config.http.trustProxy : false,
    requestTimeout: config.http.requestTimeoutMs,
    // How often Node checks requestTimeout (default 30 s): a trickled body is cut within a second of its limit.
    http: { connectionsCheckingInterval: 1000 },
  });
  applyConnectionLimits(app.server, { ...config.http, exempt: new AddressList(config.http.trustProxy) });
  recordRouteTable(app);
  const metrics = createMetrics(service);
  const tokens = new AccessTokens(config.jwt);
  registerErrorHandling(app);
  refuseIllFormedText(app);
  registerRequestDeadline(app, config.http.handlerTimeoutMs);
  registerAuthentication(app, tokens);
  registerHttpMetrics(app, metrics, new AddressList(config.http.metricsAllowedAddresses));
  registerOperations(app, checks);
  void app.register(httpShellMarker);
  void app.register(registerContractDocs);
  return { app, metrics, tokens };
}
