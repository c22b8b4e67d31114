import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { declarePublic } from '@chat/shared/http/authenticate';
import { chatModule } from '@chat/shared/http/module-plugin';
import { CLIENT_BUNDLE_PATH, clientBundle, type ClientBundle } from './client-bundle';

/**
 * The browser chat page: plain HTML, CSS and ES modules, no build step. Its
 * HTTP, session, socket, resume and send retries come from `@sturdy-chat/client`,
 * bundled in memory when the plugin registers and served at CLIENT_BUNDLE_PATH.
 */
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

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The page as a plugin: needs the HTTP shell (its files are declared public there). */
export const webModule = chatModule<Record<never, never>>('chat-web', [], (app) => registerWeb(app));

/**
 * Serves the chat page at `/`. One route per file (no wildcard), so it never
 * shadows `/v1/*`, `/healthz`, `/readyz`, `/metrics` or the app's 404 handler.
 */
export async function registerWeb(app: FastifyInstance): Promise<void> {
  // Built before the server listens: a client that does not bundle stops the start, with esbuild's message.
  const bundle = await clientBundle();
  app.log.debug({ buildMs: bundle.buildMs, bytes: bundle.code.length }, 'web: bundled @sturdy-chat/client');
  await app.register(servePage, { bundle });
}

/** Its own scope, so that the page's files, and nothing else, are declared public. */
async function servePage(scope: FastifyInstance, { bundle }: { bundle: ClientBundle }): Promise<void> {
  declarePublic(scope);
  scope.get(CLIENT_BUNDLE_PATH, async (request, reply) => {
    reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'public, max-age=0', etag: bundle.etag });
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bundle.etag)) {
      return reply.code(304).send();
    }
    return reply.type('text/javascript; charset=utf-8').send(bundle.code);
  });
  await scope.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    decorateReply: false,
    cacheControl: true,
    maxAge: 0, // a newcomer who pulls gets the new page at once; ETags keep reloads cheap
    setHeaders: (res) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    },
  });
}
