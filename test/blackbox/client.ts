import { randomBytes } from 'node:crypto';

/** A small typed HTTP client for the v1 contract, as a chat client meets it. */

// Response bodies are whatever the server sent: tests assert their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

export interface Res {
  readonly status: number;
  readonly body: Body;
  readonly headers: Headers;
  readonly text: string;
}

export interface ReqOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent verbatim (content-type application/json unless headers say otherwise). */
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

export interface User {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly createdAt: string;
}

export interface Session {
  readonly user: User;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly password: string;
}

export const PASSWORD = 'correct horse battery staple';

/** A username no other test uses: `u_` + random hex. */
export const uname = (): string => `u_${randomBytes(6).toString('hex')}`;
/** A fresh clientMsgId. */
export const cmid = (): string => `c_${randomBytes(8).toString('hex')}`;
/** A marker word that no other message contains (for search). */
export const word = (): string => `w${randomBytes(5).toString('hex')}`;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retries `probe` until it returns a truthy value or the time runs out; returns the last value. */
export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() - start > timeoutMs) return v;
    await sleep(100);
  }
}

export class UnexpectedStatus extends Error {
  constructor(what: string, expected: number[], res: Res) {
    super(`${what}: expected ${expected.join('|')}, got ${res.status} ${res.text.slice(0, 500)}`);
  }
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async req(method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | Buffer | undefined;
    if (opts.rawBody !== undefined) payload = opts.rawBody;
    else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, opts.headers);
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: Body = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body, headers: res.headers, text };
  }

  /** A request that must answer one of `expected`; returns the body. */
  async ok(expected: number | number[], method: string, path: string, opts: ReqOptions = {}): Promise<Body> {
    const want = Array.isArray(expected) ? expected : [expected];
    const res = await this.req(method, path, opts);
    if (!want.includes(res.status)) throw new UnexpectedStatus(`${method} ${path}`, want, res);
    return res.body;
  }

  async register(username = uname(), extra: { password?: string; displayName?: string } = {}): Promise<Session> {
    const password = extra.password ?? PASSWORD;
    // Registration hashes a password (scrypt): slow on a busy machine.
    const body = await this.ok(201, 'POST', '/v1/auth/register', {
      timeoutMs: 90_000,
      body: { username, password, ...(extra.displayName === undefined ? {} : { displayName: extra.displayName }) },
    });
    return { ...body, password } as Session;
  }

  /** Registers `n` users, a few at a time. */
  async users(n: number): Promise<Session[]> {
    const out: Session[] = [];
    while (out.length < n) {
      const batch = Math.min(8, n - out.length);
      out.push(...(await Promise.all(Array.from({ length: batch }, () => this.register()))));
    }
    return out;
  }

  login(username: string, password = PASSWORD): Promise<Res> {
    return this.req('POST', '/v1/auth/login', { body: { username, password } });
  }

  refresh(refreshToken: string): Promise<Res> {
    return this.req('POST', '/v1/auth/refresh', { body: { refreshToken } });
  }

  async group(s: Session, memberIds: string[] = [], name = 'room'): Promise<Body> {
    return (await this.ok(201, 'POST', '/v1/rooms', { token: s.accessToken, body: { type: 'group', name, memberIds } })).room;
  }

  async direct(s: Session, otherId: string, expected: number | number[] = 201): Promise<Body> {
    return (await this.ok(expected, 'POST', '/v1/rooms', { token: s.accessToken, body: { type: 'direct', memberIds: [otherId] } })).room;
  }

  async room(s: Session, roomId: string): Promise<Body> {
    return (await this.ok(200, 'GET', `/v1/rooms/${roomId}`, { token: s.accessToken })).room;
  }

  async rooms(s: Session): Promise<Body[]> {
    return (await this.ok(200, 'GET', '/v1/rooms', { token: s.accessToken })).rooms;
  }

  /** The caller's entry for one room in GET /v1/rooms (with lastReadSeq, unreadCount). */
  async listed(s: Session, roomId: string): Promise<Body> {
    return (await this.rooms(s)).find((r: Body) => r.id === roomId);
  }

  async addMember(s: Session, roomId: string, userId: string, expected: number | number[] = 201): Promise<Body> {
    return (await this.ok(expected, 'POST', `/v1/rooms/${roomId}/members`, { token: s.accessToken, body: { userId } })).member;
  }

  async setRole(s: Session, roomId: string, userId: string, role: string): Promise<Body> {
    return (await this.ok(200, 'PATCH', `/v1/rooms/${roomId}/members/${userId}`, { token: s.accessToken, body: { role } })).member;
  }

  async members(s: Session, roomId: string): Promise<Body[]> {
    return (await this.ok(200, 'GET', `/v1/rooms/${roomId}/members`, { token: s.accessToken })).members;
  }

  async post(s: Session, roomId: string, body: string, clientMsgId = cmid()): Promise<Body> {
    return (await this.ok(201, 'POST', `/v1/rooms/${roomId}/messages`, { token: s.accessToken, body: { clientMsgId, body } })).message;
  }

  async edit(s: Session, roomId: string, messageId: string, body: string): Promise<Body> {
    return (await this.ok(200, 'PATCH', `/v1/rooms/${roomId}/messages/${messageId}`, { token: s.accessToken, body: { body } })).message;
  }

  async remove(s: Session, roomId: string, messageId: string): Promise<void> {
    await this.ok(204, 'DELETE', `/v1/rooms/${roomId}/messages/${messageId}`, { token: s.accessToken });
  }

  async messages(s: Session, roomId: string, query = ''): Promise<{ messages: Body[]; hasMore: boolean }> {
    return this.ok(200, 'GET', `/v1/rooms/${roomId}/messages${query}`, { token: s.accessToken });
  }

  /** Every message of a room, paging forward with `after`. */
  async allMessages(s: Session, roomId: string): Promise<Body[]> {
    const out: Body[] = [];
    let after = 0;
    for (;;) {
      const page = await this.messages(s, roomId, `?after=${after}&limit=100`);
      out.push(...page.messages);
      if (!page.hasMore || page.messages.length === 0) return out;
      after = page.messages[page.messages.length - 1].seq;
    }
  }

  async events(s: Session, roomId: string, query = ''): Promise<{ events: Body[]; hasMore: boolean }> {
    return this.ok(200, 'GET', `/v1/rooms/${roomId}/events${query}`, { token: s.accessToken });
  }

  /** The whole timeline of a room, paging with `after`. */
  async timeline(s: Session, roomId: string, after = 0): Promise<Body[]> {
    const out: Body[] = [];
    for (;;) {
      const page = await this.events(s, roomId, `?after=${after}&limit=500`);
      out.push(...page.events);
      if (!page.hasMore || page.events.length === 0) return out;
      after = page.events[page.events.length - 1].seq;
    }
  }

  async read(s: Session, roomId: string, seq: number): Promise<void> {
    await this.ok(204, 'POST', `/v1/rooms/${roomId}/read`, { token: s.accessToken, body: { seq } });
  }

  search(s: Session, query: Record<string, string | number>): Promise<Res> {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    return this.req('GET', `/v1/search?${qs}`, { token: s.accessToken });
  }
}

export const api = (baseUrl: string): Api => new Api(baseUrl);

export { WsClient, UpgradeRefused, type Closed, type WsOptions } from './ws-client';
