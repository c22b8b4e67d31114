import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { ChatApiError, errorFromResponse } from './errors';
import { newClientMsgId } from './ids';
import type { operations, paths } from './openapi-types';
import { Session, type StoredTokens } from './session';

type Json<O extends keyof operations, S extends number> = operations[O]['responses'] extends { [K in S]: { content: { 'application/json': infer B } } } ? B : never;
type Body<O extends keyof operations> = operations[O] extends { requestBody: { content: { 'application/json': infer B } } } ? B : operations[O] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type Query<O extends keyof operations> = operations[O] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** Objects of the contract, as the server's OpenAPI document types them. */
export type AuthAnswer = Json<'register', 201>;
export type User = Json<'getMe', 200>['user'];
export type Room = Json<'getRoom', 200>['room'];
export type RoomListing = Json<'listRooms', 200>;
export type Member = Json<'addMember', 201>['member'];
export type Message = Json<'postMessage', 201>['message'];
export type MessagePage = Json<'listMessages', 200>;
export type EventPage = Json<'listEvents', 200>;
export type SearchAnswer = Json<'search', 200>;
export type RegisterBody = Body<'register'>;
export type LoginBody = Body<'login'>;
export type CreateRoomBody = Body<'createRoom'>;

export interface ChatHttpOptions {
  /** API origin, e.g. `https://chat.example.com` (no `/v1`). */
  baseUrl: string;
  /** Where tokens live; one is made when not given. Share it with the RealtimeClient so both refresh through one place. */
  session?: Session;
  /** Passed to a session made here: persist the pair. */
  onTokens?: (tokens: StoredTokens | undefined) => void;
  fetch?: typeof fetch;
}

const NO_BEARER = new Set(['/v1/auth/register', '/v1/auth/login', '/v1/auth/refresh']);

/**
 * Bearer header middleware for an openapi-fetch client: adds the session's
 * access token (refreshing it first when due), and on a 401 refreshes once and
 * repeats the request with the new token.
 */
export function bearerMiddleware(session: Session, fetchFn: typeof fetch = (...a) => globalThis.fetch(...a)): Middleware {
  const retries = new Map<string, Request>();
  return {
    async onRequest({ request, schemaPath, id }) {
      if (NO_BEARER.has(schemaPath) || !session.tokens || request.headers.has('authorization')) return undefined;
      request.headers.set('authorization', `Bearer ${await session.getAccessToken()}`);
      retries.set(id, request.clone());
      return request;
    },
    async onResponse({ response, id }) {
      const again = retries.get(id);
      retries.delete(id);
      if (response.status !== 401 || !again || !session.tokens) return undefined;
      let token: string;
      try {
        token = await session.refresh();
      } catch {
        return undefined; // the 401 stands
      }
      again.headers.set('authorization', `Bearer ${token}`);
      return fetchFn(again);
    },
    onError({ id }) {
      retries.delete(id);
      return undefined;
    },
  };
}

/** The data of an openapi-fetch answer, or a ChatApiError built from the error answer. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  throw errorFromResponse(result.response, result.error);
}

/**
 * A thin typed wrapper on openapi-fetch. `raw` is the full typed client for
 * every route of the server's OpenAPI document (`raw.GET('/v1/rooms/{roomId}', …)`);
 * the methods below are the common calls, returning data or throwing ChatApiError.
 */
export class ChatHttpClient {
  readonly raw: Client<paths>;
  readonly session: Session;

  constructor(options: ChatHttpOptions) {
    const fetchFn = options.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
    this.session = options.session ?? new Session({ baseUrl: options.baseUrl, fetch: fetchFn, ...(options.onTokens ? { onTokens: options.onTokens } : {}) });
    this.raw = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: fetchFn });
    this.raw.use(bearerMiddleware(this.session, fetchFn));
  }

  /** Creates the account and stores its session. */
  async register(body: RegisterBody): Promise<AuthAnswer> {
    const answer = unwrap(await this.raw.POST('/v1/auth/register', { body }));
    this.session.setTokens(answer);
    return answer;
  }

  /** Signs in and stores the session. */
  async login(body: LoginBody): Promise<AuthAnswer> {
    const answer = unwrap(await this.raw.POST('/v1/auth/login', { body }));
    this.session.setTokens(answer);
    return answer;
  }

  /** Revokes the login's refresh tokens on the server and forgets the session. */
  async logout(): Promise<void> {
    const refreshToken = this.session.tokens?.refreshToken;
    this.session.clear();
    if (refreshToken) unwrap(await this.raw.POST('/v1/auth/logout', { body: { refreshToken } }));
  }

  async me(): Promise<User> {
    return unwrap(await this.raw.GET('/v1/users/me')).user;
  }

  async findUser(username: string): Promise<User> {
    return unwrap(await this.raw.GET('/v1/users', { params: { query: { username } } })).user;
  }

  async createRoom(body: CreateRoomBody): Promise<Room> {
    return unwrap(await this.raw.POST('/v1/rooms', { body })).room;
  }

  async listRooms(query: Query<'listRooms'> = {}): Promise<RoomListing> {
    return unwrap(await this.raw.GET('/v1/rooms', { params: { query } }));
  }

  async getRoom(roomId: string): Promise<Room> {
    return unwrap(await this.raw.GET('/v1/rooms/{roomId}', { params: { path: { roomId } } })).room;
  }

  async addMember(roomId: string, userId: string): Promise<Member> {
    return unwrap(await this.raw.POST('/v1/rooms/{roomId}/members', { params: { path: { roomId } }, body: { userId } })).member;
  }

  /** Posts a message; the clientMsgId (generated when not given) makes a repeat of this call return the same message. */
  async postMessage(roomId: string, body: string, clientMsgId: string = newClientMsgId()): Promise<Message> {
    return unwrap(await this.raw.POST('/v1/rooms/{roomId}/messages', { params: { path: { roomId } }, body: { clientMsgId, body } })).message;
  }

  async listMessages(roomId: string, query: Query<'listMessages'> = {}): Promise<MessagePage> {
    return unwrap(await this.raw.GET('/v1/rooms/{roomId}/messages', { params: { path: { roomId }, query } }));
  }

  async listEvents(roomId: string, query: Query<'listEvents'> = {}): Promise<EventPage> {
    return unwrap(await this.raw.GET('/v1/rooms/{roomId}/events', { params: { path: { roomId }, query } }));
  }

  async markRead(roomId: string, seq: number): Promise<void> {
    unwrap(await this.raw.POST('/v1/rooms/{roomId}/read', { params: { path: { roomId } }, body: { seq } }));
  }

  async search(query: Query<'search'>): Promise<SearchAnswer> {
    return unwrap(await this.raw.GET('/v1/search', { params: { query } }));
  }
}

export { ChatApiError };
