// The three systems a scenario can drive: our chat API, the bare ws anchor and
// the Socket.IO anchor. Only setup differs; the load itself is the same.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { ClientConn, SystemUnderTest, UserRef } from './types';
import { ChatHttpClient, unwrap } from '@sturdy-chat/client';
import { WsConn } from './ws-conn';
import { SocketIoConn } from './socketio-conn';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

interface HttpAnswer {
  status: number;
  json: unknown;
}

function request(base: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function expectOk(p: Promise<HttpAnswer>, what: string): Promise<any> {
  const a = await p;
  if (a.status < 200 || a.status > 299) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.json).slice(0, 300)}`);
  return a.json;
}

async function inBatches<T>(n: number, concurrency: number, make: (i: number) => Promise<T>, onProgress?: (done: number) => void): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await make(i);
        if (++done % 100 === 0) onProgress?.(done);
      }
    }),
  );
  return out;
}

/** Our chat server (Phase 1 monolith, or Phase 3 behind its entry point). */
export function chatTarget(baseUrl: string): SystemUnderTest {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/v1/ws`;
  const run = randomBytes(3).toString('hex');
  let userSeq = 0;
  // Setup goes through the client package (typed from /openapi.json); the calls the runner measures
  // (sendHttp, readHistory) keep the bare keep-alive request below, so the figures are the server's.
  const api = new ChatHttpClient({ baseUrl }).raw;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    name: 'chat',
    baseUrl,
    metricsUrl: `${baseUrl}/metrics`,
    async createUsers(n, onProgress) {
      return inBatches(
        n,
        8,
        async () => {
          const username = `lt${run}_${userSeq++}`;
          const r = unwrap(await api.POST('/v1/auth/register', { body: { username, password: 'load-test-pw-1' } }));
          return { id: r.user.id, token: r.accessToken };
        },
        onProgress,
      );
    },
    async createRoom(owner, members, name) {
      const first = members.slice(0, 100).map((m) => m.id);
      const r = unwrap(await api.POST('/v1/rooms', { body: { type: 'group', name, memberIds: first }, headers: bearer(owner.token) }));
      const roomId = r.room.id;
      // A group takes up to 100 memberIds at creation; the rest join one by one.
      await inBatches(Math.max(0, members.length - 100), 16, async (i) =>
        unwrap(await api.POST('/v1/rooms/{roomId}/members', { params: { path: { roomId } }, body: { userId: members[100 + i]!.id }, headers: bearer(owner.token) })),
      );
      return roomId;
    },
    connect: (user): Promise<ClientConn> => WsConn.open(wsUrl, user.token),
    async sendHttp(user, roomId, clientMsgId, body) {
      const r = await expectOk(request(baseUrl, 'POST', `/v1/rooms/${roomId}/messages`, user.token, { clientMsgId, body }), 'post message');
      return r.message.seq as number;
    },
    async readHistory(user, roomId, limit) {
      const r = await expectOk(request(baseUrl, 'GET', `/v1/rooms/${roomId}/messages?limit=${limit}`, user.token), 'read history');
      return (r.messages as unknown[]).length;
    },
    async storedMessages(user: UserRef, roomIds) {
      const r = unwrap(await api.GET('/v1/rooms', { headers: bearer(user.token) }));
      const want = new Set(roomIds);
      let n = 0;
      for (const room of r.rooms) {
        // Timeline: room.created, one member.joined per member, then messages.
        if (want.has(room.id)) n += room.lastSeq - 1 - room.memberCount;
      }
      return n;
    },
  };
}

function anchorBase(name: string, baseUrl: string, connect: (user: UserRef) => Promise<ClientConn>): SystemUnderTest {
  let ids = 0;
  return {
    name,
    baseUrl,
    metricsUrl: `${baseUrl}/metrics`,
    createUsers: async (n) => Array.from({ length: n }, () => ({ id: `u${ids++}`, token: '' })),
    createRoom: async () => `r${ids++}`,
    connect,
  };
}

/** loadtest/anchors/bare-ws-broadcast.ts: same frames as ours, no auth, no storage. */
export function bareWsTarget(baseUrl: string): SystemUnderTest {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/v1/ws`;
  return anchorBase('bare-ws', baseUrl, () => WsConn.open(wsUrl, undefined));
}

/** loadtest/anchors/socketio-chat.ts: Socket.IO 4.8 rooms, websocket transport only. */
export function socketIoTarget(baseUrl: string): SystemUnderTest {
  return anchorBase('socketio', baseUrl, () => SocketIoConn.open(baseUrl));
}
