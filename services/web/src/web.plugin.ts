import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { declarePublic } from '@chat/shared/http/authenticate';

/** The browser chat page: plain HTML, CSS and ES modules, no build step. */
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

// User text is only ever set as text, and this policy makes sure no injected
// markup could run script or load anything from elsewhere.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the chat page at `/`. One route per file (no wildcard), so it never
 * shadows `/v1/*`, `/healthz`, `/readyz`, `/metrics` or the app's 404 handler.
 */
export async function registerWeb(app: FastifyInstance): Promise<void> {
  await app.register(servePage);
}

/** Its own scope, so that the page's files, and nothing else, are declared public. */
async function servePage(scope: FastifyInstance): Promise<void> {
  declarePublic(scope);
  await scope.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    decorateReply: false,
    cacheControl: true,
    maxAge: 0, // a newcomer who pulls gets the new page at once; ETags keep reloads cheap
    setHeaders: (res) => {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
    },
  });
}
