import { Type, type TSchema } from '@sinclair/typebox';
import { ErrorBody } from '../objects';

/** An OpenAPI link: how a value in this answer feeds a parameter of another operation (e.g. a new room's id into postMessage). */
export interface OpenApiLink {
  operationId: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
  description?: string;
}

/** What @fastify/swagger reads from a route's schema, besides the JSON Schemas of its parts. */
export interface RouteSchema {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  response: Record<number, TSchema>;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * The token buckets an HTTP route can draw from (sizes from RATE_LIMIT_*), each keyed as the services
 * key it: `auth:<address>` (register, login, refresh, logout), `room:<user>` (rooms created),
 * `member:<user>` (members added), `msg:<user>` (messages sent, shared with the WebSocket `send` frames).
 */
export type RateLimitBucket = 'auth' | 'room' | 'member' | 'msg';

/** One route of the public contract: the services register it with a handler; the OpenAPI document is made from the list of them. */
export interface RouteSpec<S extends RouteSchema = RouteSchema> {
  method: HttpMethod;
  url: string;
  /** Needs no access token. Every other route answers 401 without one. */
  public?: true;
  schema: S;
  /** The request body may be absent (the document's requestBody is then not required; fastify-swagger always marks it required). */
  optionalBody?: true;
  /** The bucket one call takes a token from, after the request is validated; over it, 429 RATE_LIMITED with Retry-After. */
  rateLimit?: RateLimitBucket;
  /** OpenAPI links by response status, added to the document (fastify-swagger has no field for them). */
  links?: Record<number, Record<string, OpenApiLink>>;
}

/** Keeps the literal type of the schema, so a handler registered with it gets typed input. */
export function defineRoute<const S extends RouteSchema>(spec: RouteSpec<S>): RouteSpec<S> {
  return spec;
}

/**
 * The error answers every route can give: a malformed request (400), a limit (429: rate, 413: body size)
 * or an outage (503). Private routes add 401 and, when they name something, 404.
 */
export const commonErrors = { 400: ErrorBody, 413: ErrorBody, 429: ErrorBody, 503: ErrorBody };
export const privateErrors = { ...commonErrors, 401: ErrorBody };
export const roomErrors = { ...privateErrors, 404: ErrorBody };

/** 204: no body. */
export const NoContent = Type.Null({ description: 'no content' });

/** A path id: any string. An id that names nothing the caller can see is a 404, whatever its shape (API.md), never a 400. */
export const PathId = Type.String({ description: 'an opaque id' });

export { MAX_SEQ } from '../seq';

/**
 * Has a character String.prototype.trim() keeps: JavaScript's white space and line terminators spelled
 * out, so that a client generating text from the pattern (in any regex dialect) agrees with `trim()`.
 */
export const NOT_BLANK = '[^\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]';
