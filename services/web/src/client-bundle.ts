import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** `@sturdy-chat/client` (TypeScript) bundled for the browser as one ES module. */
export interface ClientBundle {
  readonly code: Buffer;
  /** A strong ETag of the code. */
  readonly etag: string;
  /** How long the build took (ms). */
  readonly buildMs: number;
}

/** Where the page loads it from (`public/js/app.js` imports `./vendor/sturdy-chat-client.js`). */
export const CLIENT_BUNDLE_PATH = '/js/vendor/sturdy-chat-client.js';

let cached: Promise<ClientBundle> | undefined;

/**
 * Bundles the client package in memory with esbuild, once per process (about
 * 30 ms for 27 kB): there is no build step and nothing built is committed. A failure
 * rejects, so the server refuses to start instead of answering 500 later.
 */
export function clientBundle(): Promise<ClientBundle> {
  cached ??= buildClientBundle().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/** Builds a bundle from `entry` (default: the client package's entry); exported for tests. */
export async function buildClientBundle(entry?: string): Promise<ClientBundle> {
  const started = performance.now();
  let text: string;
  try {
    entry ??= fileURLToPath(import.meta.resolve('@sturdy-chat/client'));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      charset: 'utf8',
      write: false,
      logLevel: 'silent',
    });
    const file = result.outputFiles[0];
    if (!file) throw new Error('esbuild produced no output');
    text = file.text;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`web: could not bundle @sturdy-chat/client for the browser (esbuild): ${detail}`, { cause: err });
  }
  const code = Buffer.from(text, 'utf8');
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"`;
  return { code, etag, buildMs: Math.round(performance.now() - started) };
}
