import t from 'tap';
import { openApiDocument } from '@chat/shared/contract/openapi';
import { NOT_BLANK } from '@chat/shared/contract/http/route-spec';
import { testMonolith } from './support/monolith';

// Found by Schemathesis (positive_data_acceptance): GET /v1/search?q= was schema-valid (q: any string)
// and answered 400, as API.md says (q: 1..200 characters). Text the contract refuses when blank is now
// described as such: the server and the document agree on every blank and non-blank string.
const TRICKY = ['', ' ', '\t\n', '\u3000', '\ufeff', '\u00a0\u2028', '\u001c', '\u0085', '\u200b', 'a', ' a ', '서버'];
const notBlank = new RegExp(NOT_BLANK, 'u');

t.test('NOT_BLANK matches exactly the strings String.prototype.trim() leaves non-empty', async (t) => {
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    if (notBlank.test(c) !== (c.trim() !== '')) t.fail(`U+${cp.toString(16)}`);
  }
  t.pass('every code point');
});

t.test('the document describes q, message bodies and room names as not blank', async (t) => {
  const doc = await openApiDocument();
  const q = doc.paths?.['/v1/search']?.get?.parameters?.find((p) => 'name' in p && p.name === 'q') as { schema: object };
  t.match(q.schema, { type: 'string', minLength: 1, maxLength: 200, pattern: NOT_BLANK });
  const bodyOf = (path: string, method: 'post' | 'patch') => (doc.paths?.[path]?.[method]?.requestBody as { content: Record<string, { schema: { properties: Record<string, object> } }> }).content['application/json']!.schema.properties;
  t.match(bodyOf('/v1/rooms/{roomId}/messages', 'post').body, { minLength: 1, pattern: NOT_BLANK });
  t.match(bodyOf('/v1/rooms/{roomId}/messages/{messageId}', 'patch').body, { minLength: 1, pattern: NOT_BLANK });
  t.match(bodyOf('/v1/rooms/{roomId}', 'patch').name, { minLength: 1, maxLength: 100, pattern: NOT_BLANK });
});

t.test('the server refuses exactly the q the document calls invalid', async (t) => {
  const app = await testMonolith(t);
  const session = (await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { username: 'patterns', password: 'correct horse battery' } })).json();
  for (const q of TRICKY) {
    const res = await app.inject({ url: `/v1/search?q=${encodeURIComponent(q)}`, headers: { authorization: `Bearer ${session.accessToken}` } });
    t.equal(res.statusCode, notBlank.test(q) ? 200 : 400, `q=${encodeURIComponent(q)}`);
  }
});
