import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TTuple } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RpcMethods } from '../contract/rpc/room-ports';
import { Agent, request } from 'undici';
import { AppError, type ErrorCode, UnavailableError } from '../kernel/errors';

/**
 * Internal calls between Phase 3 services: a port (RoomCommands, RoomQueries)
 * exposed by its owner and used by others through a client with the same
 * interface. Commands need an answer (the 201 carries the seq), so they go
 * over HTTP to the room writer; events go over Kafka. Errors keep their type.
 */
export function internalToken(jwtSecret: string): string {
  return createHmac('sha256', jwtSecret).update('internal-rpc').digest('base64url');
}

/**
 * Internal calls carry batches the public body limit (1 MiB) was not made for:
 * the ws service sends up to 100 messages of 4,000 code points in one call,
 * up to ~4.8 MB of JSON when every character is an escaped surrogate pair.
 */
const RPC_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * Serves the methods of `target` named in `methods`, one route each
 * (`POST /internal/rpc/<name>/<method>` with `{"args":[…]}`), each call checked
 * against its argument schema before it runs. Nothing else on the object is
 * reachable: an unnamed method is the router's 404. The internal token is
 * checked before the body is read.
 */
export function exposeRpc<T extends object>(app: FastifyInstance, name: string, target: T, methods: RpcMethods<T>, token: string): void {
  const expected = Buffer.from(token);
  const internalOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    const given = Buffer.from(String(request.headers['x-internal-token'] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.status(403).send({ error: { code: 'FORBIDDEN', message: 'internal only' } });
  };
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const table: Readonly<Record<string, TTuple>> = methods;
  for (const [method, args] of Object.entries(table)) {
    const fn: unknown = Reflect.get(target, method);
    if (typeof fn !== 'function') throw new Error(`${name}.${method} is declared for RPC but is not a method`);
    const schema = { body: Type.Object({ args }), hide: true };
    typed.post(`/internal/rpc/${name}/${method}`, { config: { public: true }, bodyLimit: RPC_BODY_LIMIT, schema, onRequest: internalOnly }, async (request) => {
      try {
        return { result: (await Reflect.apply(fn, target, request.body.args)) ?? null };
      } catch (err) {
        if (err instanceof AppError) return { error: { code: err.code, message: err.message, details: err.details } };
        throw err;
      }
    });
  }
}

class RemoteError extends AppError {}

/** The header a load balancer hashes on to send a room's calls to the same instance (room affinity). */
export const ROUTE_HEADER = 'x-chat-room';

export interface RpcClientOptions {
  readonly timeoutMs?: number;
  /** The key a call is routed by (sent as ROUTE_HEADER), e.g. its room id; none: any instance. */
  readonly routeKey?: (method: string, args: unknown[]) => string | undefined;
}

/**
 * The connections internal calls share, per origin, kept open between calls.
 * undici's `request` rather than `fetch`: a WS send is one call, and fetch's
 * streams, abort signals and DOMExceptions cost the ws service about a third
 * of its CPU at 500 msgs/s (docs/performance.md, "the internal hop").
 * Bounded: at most this many connections to one origin; more calls queue.
 */
const rpcAgent = new Agent({ connections: 64, keepAliveTimeout: 10_000, keepAliveMaxTimeout: 30_000 });

type RpcAnswer = { result?: unknown; error?: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

export function rpcClient<T extends object>(baseUrl: string, name: string, token: string, options: RpcClientOptions = {}): T {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Proxy({} as T, {
    get: (_target, method) => {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return async (...args: unknown[]) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-internal-token': token };
        const key = options.routeKey?.(method, args);
        if (key) headers[ROUTE_HEADER] = key;
        let body: RpcAnswer;
        try {
          // Both timeouts: an instance that never answers (headers) or stalls mid-answer (body) fails the call.
          const res = await request(`${baseUrl}/internal/rpc/${name}/${method}`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ args }),
            dispatcher: rpcAgent,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          });
          if (res.statusCode >= 500) {
            await res.body.dump();
            throw new UnavailableError(`${name} service failed`);
          }
          body = (await res.body.json()) as RpcAnswer;
        } catch (err) {
          if (err instanceof UnavailableError) throw err;
          // Unreachable, timed out, cut off, or an answer that is not ours (not JSON): the same to the caller.
          throw new UnavailableError(`${name} service unreachable`);
        }
        if (body.error) throw new RemoteError(body.error.code, body.error.message, body.error.details);
        return body.result;
      };
    },
  });
}
