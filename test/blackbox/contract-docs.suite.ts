import type { Test } from 'tap';
import { CONTRACT_ROUTES } from '@chat/shared/contract/http/index';
import { openApiDocument, openApiPath } from '@chat/shared/contract/openapi';
import { asyncApiDocument } from '@chat/shared/contract/asyncapi';
import type { Ctx } from './harness';

/** The published contract: /openapi.json, /docs and /asyncapi.json, public, and the same documents in every phase. */
export function contractDocsSuite(t: Test, ctx: Ctx): void {
  const a = ctx.api;

  t.test('GET /openapi.json is the contract built from the route specs, without a token', async (t) => {
    const res = await a.req('GET', '/openapi.json');
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type') ?? '', /application\/json/);
    t.equal(res.body.openapi, '3.1.0');
    t.same(res.body, JSON.parse(JSON.stringify(await openApiDocument())), 'the same document whichever process answers');
    for (const route of CONTRACT_ROUTES) t.ok(res.body.paths[openApiPath(route.url)]?.[route.method.toLowerCase()], `documents ${route.method} ${route.url}`);
  });

  t.test('GET /docs serves Swagger UI over the same document, without a token', async (t) => {
    const page = await a.req('GET', '/docs/');
    t.equal(page.status, 200);
    t.match(page.text, /swagger/i);
    const json = await a.req('GET', '/docs/json');
    t.equal(json.status, 200);
    t.same(json.body, (await a.req('GET', '/openapi.json')).body);
  });

  t.test('GET /asyncapi.json is the WebSocket contract made from the frame schemas, without a token', async (t) => {
    const res = await a.req('GET', '/asyncapi.json');
    t.equal(res.status, 200);
    t.equal(res.body.asyncapi, '3.0.0');
    t.same(res.body, JSON.parse(JSON.stringify(asyncApiDocument())));
  });
}
