import t from 'tap';
import { openApiDocument } from '@chat/shared/contract/openapi';
import { testMonolith } from './support/monolith';

// Found by Schemathesis: the document said /metrics answers application/json (content_type_conformance),
// and that logout needs a body, where API.md says logout always answers 204 (negative_data_rejection).
t.test('GET /metrics is documented as the text/plain it is served as', async (t) => {
  const app = await testMonolith(t);
  const res = await app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain;/);
  t.match(res.body, /^# HELP /m, 'the text as the registry made it, not a JSON string');
  const doc = await openApiDocument();
  const ok = doc.paths?.['/metrics']?.get?.responses?.['200'] as { content?: Record<string, unknown> };
  t.same(Object.keys(ok.content ?? {}), ['text/plain']);
});

t.test('POST /v1/auth/logout: a body is optional in the document, and none answers 204', async (t) => {
  const app = await testMonolith(t);
  const doc = await openApiDocument();
  const requestBody = doc.paths?.['/v1/auth/logout']?.post?.requestBody as { required?: boolean };
  t.equal(requestBody.required, false);
  t.equal((await app.inject({ method: 'POST', url: '/v1/auth/logout' })).statusCode, 204);
  type Op = { operationId?: string; requestBody?: { required?: boolean } };
  const withBodies = Object.values(doc.paths ?? {}).flatMap((item) => Object.values(item ?? {}) as Op[]).filter((op) => op.requestBody);
  for (const op of withBodies) if (op.operationId !== 'logout') t.equal(op.requestBody?.required, true, `${op.operationId} needs its body`);
});
