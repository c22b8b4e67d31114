import t from 'tap';
import { openApiDocument } from '@chat/shared/contract/openapi';
import { testMonolith } from './support/monolith';

// Schemathesis allows createRoom's contract-mandated 400 for well-formed memberIds that name nobody
// (scripts/schemathesis.toml); everything else API.md says of the body is in its schema, so the fuzzer
// checks it: a group needs a name that is not blank, a direct room needs memberIds.
t.test('createRoom: a group needs a non-blank name, a direct room memberIds, in the document and the server', async (t) => {
  const doc = await openApiDocument();
  const schema = JSON.stringify((doc.paths?.['/v1/rooms']?.post?.requestBody as { content: Record<string, { schema: unknown }> }).content['application/json']!.schema);
  t.match(schema, /"then":\{"required":\["name"\]/);
  t.match(schema, /"then":\{"required":\["memberIds"\]/);

  const app = await testMonolith(t);
  const session = (await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { username: 'roomschema', password: 'correct horse battery' } })).json();
  const headers = { authorization: `Bearer ${session.accessToken}` };
  const cases: Array<[unknown, number, string | undefined]> = [
    [{ type: 'group' }, 400, 'name'],
    [{ type: 'group', name: ' \u3000 ' }, 400, 'name'],
    [{ type: 'direct' }, 400, 'memberIds'],
    [{ type: 'direct', memberIds: [] }, 400, 'memberIds'],
    [{ type: 'channel', name: 'x' }, 400, 'type'],
    [{ name: 'x' }, 400, 'type'],
    [{ type: 'group', name: ' ok ' }, 201, undefined],
  ];
  for (const [payload, status, field] of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/rooms', headers, payload: payload as object });
    t.equal(res.statusCode, status, JSON.stringify(payload));
    if (field) t.equal(res.json().error.details.field, field);
  }
});
