import { Type } from '@sinclair/typebox';
import { ErrorBody, Session, TokenPair, User } from '../objects';
import { displayableTextPattern } from '../displayable-text';
import { commonErrors, defineRoute, NoContent, privateErrors, PathId } from './route-spec';

const Username = Type.String({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', description: '3–32 of a-z 0-9 _ . - (case-insensitive, stored lower-case)' });
const Password = Type.String({ minLength: 8, maxLength: 128 });
const DisplayName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: displayableTextPattern(),
  description: '1–64 characters; no control, bidirectional or invisible characters (a zero-width joiner between letters or pictographs, a variation selector after a visible character and tags after 🏴 excepted), not only whitespace',
});
const example = { username: 'minji', password: 'correct horse battery staple' };
const authTags = ['auth'];
const noToken: Array<Record<string, string[]>> = [];

export const register = defineRoute({
  method: 'POST',
  url: '/v1/auth/register',
  rateLimit: 'auth',
  public: true,
  schema: {
    operationId: 'register',
    summary: 'Create an account and sign in',
    tags: authTags,
    security: noToken,
    body: Type.Object({ username: Username, password: Password, displayName: Type.Optional(DisplayName) }, { examples: [{ ...example, displayName: 'Minji' }] }),
    response: { 201: Session, ...commonErrors, 409: ErrorBody },
  },
});

export const login = defineRoute({
  method: 'POST',
  url: '/v1/auth/login',
  rateLimit: 'auth',
  public: true,
  schema: {
    operationId: 'login',
    summary: 'Sign in',
    tags: authTags,
    security: noToken,
    body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { examples: [example] }),
    response: { 200: Session, ...commonErrors, 401: ErrorBody },
  },
});

export const refresh = defineRoute({
  method: 'POST',
  url: '/v1/auth/refresh',
  rateLimit: 'auth',
  public: true,
  schema: {
    operationId: 'refresh',
    summary: 'Trade a refresh token for a new pair; the old one stops working',
    description: 'Presenting an already-used refresh token answers 401 and revokes every token of that login.',
    tags: authTags,
    security: noToken,
    body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 1024 }) }, { examples: [{ refreshToken: 'rt_…' }] }),
    response: { 200: TokenPair, ...commonErrors, 401: ErrorBody },
  },
});

export const logout = defineRoute({
  method: 'POST',
  url: '/v1/auth/logout',
  rateLimit: 'auth',
  public: true,
  // "Logout always answers 204" (API.md): without a body too.
  optionalBody: true,
  schema: {
    operationId: 'logout',
    summary: 'Revoke every refresh token of this login; always 204',
    description: 'Any body is accepted: one that is not a JSON object naming a refresh token revokes nothing.',
    tags: authTags,
    security: noToken,
    body: Type.Unsafe<{ refreshToken?: unknown } | undefined>({ description: '{"refreshToken": string}; any other body revokes nothing', examples: [{ refreshToken: 'rt_…' }] }),
    response: { 204: NoContent, 429: ErrorBody, 413: ErrorBody, 503: ErrorBody },
  },
});

export const me = defineRoute({
  method: 'GET',
  url: '/v1/users/me',
  schema: { operationId: 'getMe', summary: 'The caller', tags: ['users'], response: { 200: Type.Object({ user: User }), ...privateErrors, 404: ErrorBody } },
});

export const userById = defineRoute({
  method: 'GET',
  url: '/v1/users/:userId',
  schema: { operationId: 'getUser', summary: 'A user by id', tags: ['users'], params: Type.Object({ userId: PathId }), response: { 200: Type.Object({ user: User }), ...privateErrors, 404: ErrorBody } },
});

export const userByName = defineRoute({
  method: 'GET',
  url: '/v1/users',
  schema: {
    operationId: 'findUser',
    summary: 'A user by username, for adding members by name',
    tags: ['users'],
    querystring: Type.Object({ username: Type.String({ examples: ['minji'] }) }),
    response: { 200: Type.Object({ user: User }), ...privateErrors, 404: ErrorBody },
  },
});
