import type { IncomingMessage } from 'node:http';

/** Most of a refused body read (and dropped) before answering, and the longest wait for it. */
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;
const DRAIN_LIMIT_MS = 10_000;

/**
 * Reads and drops what is left of a request's body, up to a bound, before a
 * refusal (413) is answered. Answering while the client is still uploading
 * lets a proxy in front close the connection with unread data, and the
 * kernel's reset then destroys the answer before the client reads it
 * (HAProxy before 3.0 does not drain; nginx calls it lingering close). Past
 * the bound the answer goes out anyway and the connection closes.
 */
export function drainRequest(raw: IncomingMessage, limitBytes = DRAIN_LIMIT_BYTES, limitMs = DRAIN_LIMIT_MS): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', done);
      raw.off('close', done);
      raw.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limitBytes) done();
    };
    const timer = setTimeout(done, limitMs);
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('close', done);
    raw.once('error', done);
    raw.resume();
  });
}
