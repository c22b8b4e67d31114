import t from 'tap';
import { testMonolith } from './support/monolith';

// Found by Schemathesis (positive_data_acceptance): a message body with an unknown field holding a
// `__proto__` key answered 400 "body is not valid JSON". It is valid JSON, and unknown fields are
// ignored (API.md); the keys are dropped while parsing, so no prototype is ever touched.
t.test('__proto__ and constructor.prototype keys are unknown fields, ignored', async (t) => {
  const app = await testMonolith(t);
  const session = (await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { username: 'protokeys', password: 'correct horse battery' } })).json();
  const headers = { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' };
  const room = (await app.inject({ method: 'POST', url: '/v1/rooms', headers, payload: { type: 'group', name: 'protos' } })).json().room;

  const bodies = [
    '{"clientMsgId":"p-1","body":"hi","extra":{"__proto__":{"polluted":true}}}',
    '{"clientMsgId":"p-2","body":"hi","__proto__":{"body":"not this"}}',
    '{"clientMsgId":"p-3","body":"hi","constructor":{"prototype":{"polluted":true}}}',
  ];
  for (const payload of bodies) {
    const res = await app.inject({ method: 'POST', url: `/v1/rooms/${room.id}/messages`, headers, payload });
    t.equal(res.statusCode, 201, payload);
    t.equal(res.json().message.body, 'hi');
  }
  t.equal(({} as { polluted?: boolean }).polluted, undefined, 'no prototype polluted');
});
