import type { Test } from 'tap';
import { cmid, uname, PASSWORD, type Session } from './client';
import { isError, openWs, type Ctx } from './harness';

/** Bad input everywhere: malformed JSON, wrong types, oversize bodies, malformed ids, error shape, precedence. */
export function validationSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  async function setup(): Promise<{ owner: Session; member: Session; stranger: Session; roomId: string; msgId: string }> {
    const [owner, member, stranger] = await a.users(3);
    const room = await a.group(owner!, [member!.user.id]);
    const msg = await a.post(owner!, room.id, 'hello');
    return { owner: owner!, member: member!, stranger: stranger!, roomId: room.id, msgId: msg.id };
  }

  t.test('malformed JSON bodies are 400 VALIDATION_FAILED on every route that takes a body', async (t) => {
    const { owner, roomId, msgId } = await setup();
    const routes: Array<[string, string, boolean]> = [
      ['POST', '/v1/auth/register', false], ['POST', '/v1/auth/login', false], ['POST', '/v1/auth/refresh', false],
      ['POST', '/v1/rooms', true], ['PATCH', `/v1/rooms/${roomId}`, true], ['POST', `/v1/rooms/${roomId}/members`, true],
      ['PATCH', `/v1/rooms/${roomId}/members/${owner.user.id}`, true], ['POST', `/v1/rooms/${roomId}/messages`, true],
      ['PATCH', `/v1/rooms/${roomId}/messages/${msgId}`, true], ['POST', `/v1/rooms/${roomId}/read`, true],
    ];
    for (const [method, path, auth] of routes) {
      for (const raw of ['{"a":', 'not json', '{"a":1}}', "{'a':1}", '']) {
        const res = await a.req(method, path, { rawBody: raw, ...(auth ? { token: owner.accessToken } : {}) });
        isError(t, res, 400, 'VALIDATION_FAILED', undefined, `${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')} ${JSON.stringify(raw)}`);
      }
    }
    t.equal((await a.room(owner, roomId)).name, 'room', 'nothing changed');
  });

  t.test('a body that is not an object is 400', async (t) => {
    const { owner, roomId } = await setup();
    for (const raw of ['[]', '"str"', 'null', '42', 'true', '[{"clientMsgId":"x","body":"y"}]']) {
      isError(t, await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: owner.accessToken, rawBody: raw }), 400, 'VALIDATION_FAILED', undefined, raw);
      isError(t, await a.req('POST', '/v1/auth/register', { rawBody: raw }), 400, 'VALIDATION_FAILED', undefined, `register ${raw}`);
    }
  });

  t.test('wrong types and missing fields are 400 naming the field', async (t) => {
    const { owner, roomId } = await setup();
    const reg = (body: unknown) => a.req('POST', '/v1/auth/register', { body });
    isError(t, await reg({ password: PASSWORD }), 400, 'VALIDATION_FAILED', 'username', 'missing username');
    isError(t, await reg({ username: uname() }), 400, 'VALIDATION_FAILED', 'password', 'missing password');
    isError(t, await reg({ username: 12345, password: PASSWORD }), 400, 'VALIDATION_FAILED', 'username', 'number username');
    isError(t, await reg({ username: [uname()], password: PASSWORD }), 400, 'VALIDATION_FAILED', 'username', 'array username');
    isError(t, await reg({ username: uname(), password: 12345678 }), 400, 'VALIDATION_FAILED', 'password', 'number password');
    isError(t, await reg({ username: uname(), password: PASSWORD, displayName: 7 }), 400, 'VALIDATION_FAILED', 'displayName');
    isError(t, await a.req('POST', '/v1/auth/login', { body: { username: 'abc' } }), 400, 'VALIDATION_FAILED', 'password', 'login without password');
    const post = (body: unknown) => a.req('POST', `/v1/rooms/${roomId}/messages`, { token: owner.accessToken, body });
    isError(t, await post({ body: 'x' }), 400, 'VALIDATION_FAILED', 'clientMsgId');
    isError(t, await post({ clientMsgId: cmid() }), 400, 'VALIDATION_FAILED', 'body');
    isError(t, await post({ clientMsgId: { a: 1 }, body: 'x' }), 400, 'VALIDATION_FAILED', 'clientMsgId');
    isError(t, await post({ clientMsgId: cmid(), body: true }), 400, 'VALIDATION_FAILED', 'body');
    isError(t, await a.req('POST', '/v1/rooms', { token: owner.accessToken, body: { type: 'group', name: 'x', memberIds: 'abc' } }), 400, 'VALIDATION_FAILED', 'memberIds');
    isError(t, await a.req('POST', `/v1/rooms/${roomId}/read`, { token: owner.accessToken, body: { seq: '3' } }), 400, 'VALIDATION_FAILED', 'seq');
  });

  t.test('content-type with a charset, or in upper case, is JSON too', async (t) => {
    const { owner, roomId } = await setup();
    for (const ct of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON']) {
      const res = await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: owner.accessToken, rawBody: JSON.stringify({ clientMsgId: cmid(), body: 'x' }), headers: { 'content-type': ct } });
      t.equal(res.status, 201, ct);
    }
  });

  t.test('unknown fields are ignored', async (t) => {
    const { owner, roomId } = await setup();
    const reg = await a.req('POST', '/v1/auth/register', { body: { username: uname(), password: PASSWORD, isAdmin: true, id: 'mine' } });
    t.equal(reg.status, 201, 'register');
    t.not(reg.body.user?.id, 'mine', 'id not taken from the body');
    const room = await a.req('POST', '/v1/rooms', { token: owner.accessToken, body: { type: 'group', name: 'x', extra: [1], createdBy: 'me' } });
    t.equal(room.status, 201, 'create room');
    t.equal(room.body.room?.createdBy, owner.user.id, 'createdBy not taken from the body');
    const msg = await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: owner.accessToken, body: { clientMsgId: cmid(), body: 'x', seq: 1, senderId: 'evil', deleted: true } });
    t.equal(msg.status, 201, 'post message');
    t.match(msg.body.message, { senderId: owner.user.id, deleted: false, body: 'x' }, 'server-owned fields not taken from the body');
  });

  t.test('a body over 1 MiB is 413 PAYLOAD_TOO_LARGE', async (t) => {
    const { owner, roomId } = await setup();
    const huge = JSON.stringify({ clientMsgId: cmid(), body: 'x'.repeat(1024 * 1024 + 10) });
    const res = await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: owner.accessToken, rawBody: huge });
    isError(t, res, 413, 'PAYLOAD_TOO_LARGE', undefined, 'post message');
    const reg = await a.req('POST', '/v1/auth/register', { rawBody: JSON.stringify({ username: uname(), password: 'p'.repeat(2 * 1024 * 1024) }) });
    isError(t, reg, 413, 'PAYLOAD_TOO_LARGE', undefined, 'register');
    const under = JSON.stringify({ clientMsgId: cmid(), body: 'ok', pad: 'x'.repeat(900 * 1024) });
    t.equal((await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: owner.accessToken, rawBody: under })).status, 201, '900 KiB is fine');
  });

  t.test('malformed ids in the path are 404, never 400 or 500', async (t) => {
    const { owner, roomId } = await setup();
    const ids = ['abc', '1', '-1', '00000000-0000-0000-0000-000000000000', 'x'.repeat(1000), 'y'.repeat(5000), '%F0%9F%98%80', '..%2F..%2Fetc', "'%20OR%201=1", '%00'];
    for (const id of ids) {
      const label = id.slice(0, 30);
      isError(t, await a.req('GET', `/v1/rooms/${id}`, { token: owner.accessToken }), 404, 'NOT_FOUND', undefined, `room ${label}`);
      isError(t, await a.req('GET', `/v1/users/${id}`, { token: owner.accessToken }), 404, 'NOT_FOUND', undefined, `user ${label}`);
      isError(t, await a.req('DELETE', `/v1/rooms/${roomId}/messages/${id}`, { token: owner.accessToken }), 404, 'NOT_FOUND', undefined, `message ${label}`);
      isError(t, await a.req('DELETE', `/v1/rooms/${roomId}/members/${id}`, { token: owner.accessToken }), 404, 'NOT_FOUND', undefined, `member ${label}`);
    }
  });

  t.test('precedence: 401 > 400 > 404 > 403', async (t) => {
    const { owner, member, stranger, roomId } = await setup();
    const ghost = '00000000-0000-7000-8000-000000000000';
    const badMsg = { clientMsgId: '', body: '' };
    const rename = (s: Session | undefined, id: string, body: unknown) => a.req('PATCH', `/v1/rooms/${id}`, { ...(s ? { token: s.accessToken } : {}), body });
    isError(t, await a.req('POST', `/v1/rooms/${ghost}/messages`, { rawBody: '{bad' }), 401, 'UNAUTHENTICATED', undefined, 'no token + malformed + no room');
    isError(t, await a.req('POST', `/v1/rooms/${ghost}/messages`, { token: 'garbage', body: badMsg }), 401, 'UNAUTHENTICATED', undefined, 'bad token + invalid');
    isError(t, await a.req('POST', `/v1/rooms/${ghost}/messages`, { token: owner.accessToken, body: badMsg }), 400, 'VALIDATION_FAILED', undefined, 'invalid body on a missing room');
    isError(t, await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: stranger.accessToken, body: badMsg }), 400, 'VALIDATION_FAILED', undefined, 'invalid body, not a member');
    isError(t, await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: stranger.accessToken, body: { clientMsgId: 'x', body: 'y' } }), 404, 'NOT_FOUND', undefined, 'valid body, not a member');
    isError(t, await rename(member, roomId, { name: '' }), 400, 'VALIDATION_FAILED', undefined, 'member renames with a bad name');
    isError(t, await rename(member, roomId, { name: 'ok' }), 403, 'FORBIDDEN', undefined, 'member renames');
    isError(t, await rename(stranger, roomId, { name: 'ok' }), 404, 'NOT_FOUND', undefined, 'stranger renames');
    isError(t, await rename(undefined, roomId, { name: 'ok' }), 401, 'UNAUTHENTICATED', undefined, 'no token renames');
    isError(t, await a.req('GET', `/v1/rooms/${roomId}/messages?limit=0`, { token: stranger.accessToken }), 400, 'VALIDATION_FAILED', undefined, 'bad query, not a member');
    isError(t, await a.req('GET', `/v1/rooms/${roomId}/messages?limit=0`), 401, 'UNAUTHENTICATED', undefined, 'bad query, no token');
    isError(t, await a.req('PATCH', `/v1/rooms/${roomId}/members/${owner.user.id}`, { token: member.accessToken, body: { role: 'king' } }), 400, 'VALIDATION_FAILED', undefined, 'member sets a bad role');
    isError(t, await a.req('PATCH', `/v1/rooms/${roomId}/members/${owner.user.id}`, { token: member.accessToken, body: { role: 'admin' } }), 403, 'FORBIDDEN', undefined, 'member sets a role');
    isError(t, await a.req('POST', `/v1/rooms/${roomId}/read`, { token: stranger.accessToken, body: { seq: -5 } }), 400, 'VALIDATION_FAILED', undefined, 'bad read seq, not a member');
  });

  t.test('text that is not well-formed Unicode (a lone surrogate) is 400 naming the field, never stored', async (t) => {
    const { owner, member, roomId, msgId } = await setup();
    const lone = (s: string) => s.replace('@', '\\ud800');
    const cases: Array<[string, string, string, string]> = [
      ['POST', `/v1/rooms/${roomId}/messages`, lone(`{"clientMsgId":"${cmid()}","body":"a@b"}`), 'body'],
      ['POST', `/v1/rooms/${roomId}/messages`, lone('{"clientMsgId":"c@","body":"fine"}'), 'clientMsgId'],
      ['PATCH', `/v1/rooms/${roomId}/messages/${msgId}`, lone('{"body":"@"}'), 'body'],
      ['POST', '/v1/rooms', lone('{"type":"group","name":"n@"}'), 'name'],
      ['PATCH', `/v1/rooms/${roomId}`, lone('{"name":"@x"}'), 'name'],
      ['POST', '/v1/auth/register', lone(`{"username":"${uname()}","password":"${PASSWORD}","displayName":"x@"}`), 'displayName'],
    ];
    for (const [method, path, rawBody, field] of cases) {
      isError(t, await a.req(method, path, { token: owner.accessToken, rawBody }), 400, 'VALIDATION_FAILED', field, `${method} ${rawBody}`);
    }
    const ws = await openWs(t, ctx, member.accessToken);
    await ws.subscribe(roomId);
    const clientMsgId = cmid();
    ws.sendRaw(lone(`{"type":"send","roomId":"${roomId}","clientMsgId":"${clientMsgId}","body":"ws @"}`));
    const refused = await ws.next((f) => f.type === 'error' || f.type === 'ack');
    t.match(refused, { type: 'error', code: 'VALIDATION_FAILED' }, 'a WS send with a lone surrogate is VALIDATION_FAILED');
    t.match(String(refused.message), /body/, `the error names body (${refused.message})`);
    const paired = await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: member.accessToken, rawBody: `{"clientMsgId":"${cmid()}","body":"\\ud83d\\ude00 ok"}` });
    t.equal(paired.status, 201, 'an escaped surrogate pair is a well-formed emoji');
    t.equal(paired.body?.message?.body, '\u{1F600} ok');
    const messages = await a.allMessages(owner, roomId);
    t.notOk(messages.some((m: { body: string }) => /\p{Cs}|\uFFFD/u.test(m.body)), 'nothing ill-formed or replaced was stored');
  });

  t.test('unknown routes are 404 with the error body; nothing malformed is ever a 500', async (t) => {
    const { owner, roomId, msgId } = await setup();
    isError(t, await a.req('GET', '/v1/nothing-here', { token: owner.accessToken }), 404, 'NOT_FOUND', undefined, 'unknown route');
    for (const [method, path] of [['PUT', `/v1/rooms/${roomId}`], ['DELETE', '/v1/rooms'], ['PATCH', '/v1/auth/login'], ['POST', `/v1/rooms/${roomId}/events`]] as const) {
      const res = await a.req(method, path, { token: owner.accessToken, body: {} });
      t.ok([404, 405].includes(res.status), `${method} on a route without it → ${res.status}`);
      t.type(res.body?.error?.code, 'string', 'with the error body');
    }
    const odd: string[] = [
      '{}', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"body":"\\u0000"}',
      JSON.stringify({ clientMsgId: '\ud800', body: '\udfff' }), JSON.stringify({ clientMsgId: cmid(), body: `${'x'.repeat(100)}\u0000` }),
      '{"seq":1e308}', '{"seq":9007199254740993}', '{"seq":-0}', '{"name":{"$gt":""}}', '{"userId":["a"]}', '{"a":' + '['.repeat(500) + ']'.repeat(500) + '}',
      '{"role":null,"name":null,"type":null,"memberIds":null,"username":null,"password":null,"refreshToken":null}',
      '{"username":"a","username":"b"}', '{"body":"' + '\\'.repeat(1000) + '"}',
    ];
    const routes: Array<[string, string]> = [
      ['POST', '/v1/rooms'], ['PATCH', `/v1/rooms/${roomId}`], ['POST', `/v1/rooms/${roomId}/members`], ['POST', `/v1/rooms/${roomId}/messages`],
      ['PATCH', `/v1/rooms/${roomId}/messages/${msgId}`], ['POST', `/v1/rooms/${roomId}/read`], ['PATCH', `/v1/rooms/${roomId}/members/${owner.user.id}`],
      ['POST', '/v1/auth/register'], ['POST', '/v1/auth/login'], ['POST', '/v1/auth/refresh'],
    ];
    for (const [method, path] of routes) {
      for (const rawBody of odd) {
        const res = await a.req(method, path, { token: owner.accessToken, rawBody });
        t.ok(res.status < 500, `${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')} ${rawBody.slice(0, 40)} → ${res.status}`);
        if (res.status >= 400) t.type(res.body?.error?.code, 'string', 'with the error body');
      }
    }
    for (const q of ['?limit=1e3', '?limit=%00', '?before=9999999999999999999999', '?after=0x10', '?limit[]=1', '?after=1&after=2']) {
      const res = await a.req('GET', `/v1/rooms/${roomId}/messages${q}`, { token: owner.accessToken });
      t.ok(res.status < 500, `messages${q} → ${res.status}`);
    }
    const ct = await a.req('POST', `/v1/rooms/${roomId}/messages`, { token: owner.accessToken, rawBody: JSON.stringify({ clientMsgId: cmid(), body: 'x' }), headers: { 'content-type': 'text/plain' } });
    t.ok([400, 415, 201].includes(ct.status), `text/plain body → ${ct.status}, not a 500`);
    if (ct.status !== 201) t.type(ct.body?.error?.code, 'string', 'with the error body');
    t.equal((await a.req('GET', '/healthz')).status, 200, 'the server is still up');
  });
}
