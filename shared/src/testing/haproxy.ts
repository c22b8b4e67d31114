import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { haproxyConfig, type HaproxyConfigOptions } from './haproxy-config';
import { ServerProcess } from './server-process';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** The committed error files (infra/haproxy/errors), used by every local HAProxy. */
export const HAPROXY_ERRORS_DIR = join(REPO_ROOT, 'infra/haproxy/errors');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The haproxy binary, or undefined: $HAPROXY_BIN, then PATH, then /usr/sbin (Debian's place, often off a user's PATH). */
export function findHaproxy(): string | undefined {
  const candidates = [process.env.HAPROXY_BIN, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'haproxy')), '/usr/sbin/haproxy'];
  return candidates.find((c): c is string => Boolean(c) && executable(c!));
}

/** The haproxy binary; throws, saying how to install it, when there is none. */
export function haproxyBinary(): string {
  const bin = findHaproxy();
  if (!bin) throw new Error('haproxy is not installed: run `bash scripts/services.sh up haproxy` (Debian package haproxy, 2.6)');
  return bin;
}

/** `haproxy -v`'s first line, e.g. "HAProxy version 2.6.12-1+deb12u4 …". */
export function haproxyVersion(): string {
  return execFileSync(haproxyBinary(), ['-v'], { encoding: 'utf8' }).split('\n')[0]!;
}

/** Everything haproxyConfig takes; errorsDir defaults to the committed infra/haproxy/errors. */
export type HaproxyProcessOptions = Omit<HaproxyConfigOptions, 'errorsDir'> & { readonly errorsDir?: string };

/**
 * HAProxy as a ServerProcess: its generated configuration in a fresh temp
 * dir, run in the foreground (`haproxy -db -f <cfg>`), healthy when the
 * public port answers /healthz. stop() is a soft stop (SIGUSR1: stop
 * listening, finish what is in flight, at most hardStopAfterMs, 2 s by
 * default here); kill() a kill -9.
 */
export function haproxyProcess(options: HaproxyProcessOptions): ServerProcess {
  const dir = mkdtempSync(join(tmpdir(), 'chat-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig({ hardStopAfterMs: 2000, ...options, errorsDir: options.errorsDir ?? HAPROXY_ERRORS_DIR }));
  return new ServerProcess({
    target: 'embedded',
    port: options.public.port,
    // -db: foreground, no daemon, no master process; logs (stdout) and alerts (stderr) to our pipes.
    command: [haproxyBinary(), '-db', '-f', cfg],
    stopSignal: 'SIGUSR1',
  });
}
