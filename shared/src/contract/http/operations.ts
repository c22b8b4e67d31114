import { Type } from '@sinclair/typebox';
import { ErrorBody } from '../objects';
import { defineRoute } from './route-spec';

const tags = ['operations'];
const noToken: Array<Record<string, string[]>> = [];

export const healthz = defineRoute({
  method: 'GET',
  url: '/healthz',
  public: true,
  schema: { operationId: 'healthz', summary: 'The process runs', tags, security: noToken, response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) } },
});

export const readyz = defineRoute({
  method: 'GET',
  url: '/readyz',
  public: true,
  schema: {
    operationId: 'readyz',
    summary: 'Every dependency answers',
    tags,
    security: noToken,
    response: {
      200: Type.Object({ status: Type.Literal('ok'), checks: Type.Array(Type.String()) }, { examples: [{ status: 'ok', checks: ['database', 'redis'] }] }),
      503: Type.Object({ status: Type.Literal('unavailable'), failing: Type.Array(Type.String()) }, { examples: [{ status: 'unavailable', failing: ['redis'] }] }),
    },
  },
});

export const metrics = defineRoute({
  method: 'GET',
  url: '/metrics',
  public: true,
  schema: {
    operationId: 'metrics',
    summary: 'Prometheus text format (from addresses on METRICS_ALLOWED_ADDRESSES)',
    tags,
    security: noToken,
    // Not JSON: the body is Prometheus text, so the answer names its media type.
    response: { 200: Type.Unsafe<string>({ description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } }), 403: ErrorBody },
  },
});
