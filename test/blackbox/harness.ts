import type { Test } from 'tap';
import { chatServer, type ChatServer, type ChatTarget } from '@chat/shared/testing/chat-server';
import { api, type Api, type Res } from './client';
import { WsClient, type WsOptions } from './ws-client';

/** What every suite gets: the shared server and clients bound to it. */
export interface Ctx {
  readonly server: ChatServer;
  readonly target: ChatTarget;
  readonly api: Api;
  readonly wsUrl: string;
}

export async function makeCtx(server: ChatServer): Promise<Ctx> {
  return { server, target: server.options.target, api: api(await server.baseUrl), wsUrl: await server.wsUrl };
}

/** Starts a server of the same target with extra env, stopped when `t` ends. */
export async function ownServer(t: Test, ctx: Ctx, env: Record<string, string>): Promise<Ctx> {
  const server = chatServer(ctx.target, env);
  t.teardown(() => server.stop());
  await server.start();
  return makeCtx(server);
}

/** A socket authenticated by header and `ready`, closed when `t` ends. */
export async function openWs(t: Test, ctx: Ctx, token: string): Promise<WsClient> {
  const c = await WsClient.ready(ctx.wsUrl, token);
  t.teardown(() => c.terminate());
  return c;
}

/** A raw socket (no `ready` awaited), closed when `t` ends. */
export async function rawWs(t: Test, ctx: Ctx, opts: WsOptions = {}): Promise<WsClient> {
  const c = await WsClient.connect(ctx.wsUrl, opts);
  t.teardown(() => c.terminate());
  return c;
}

/** Asserts the contract's error answer: status, `{"error":{"code","message"}}`, and optionally the field named. */
export function isError(t: Test, res: Res, status: number, code: string, field?: string, msg = ''): void {
  const label = msg ? `${msg}: ` : '';
  t.equal(res.status, status, `${label}status ${status} (${res.text.slice(0, 200)})`);
  const err = res.body?.error;
  t.ok(err && typeof err === 'object', `${label}error body is {"error":{…}}`);
  t.equal(err?.code, code, `${label}error code ${code}`);
  t.type(err?.message, 'string', `${label}error message is a string`);
  if (field !== undefined) {
    const text = JSON.stringify(err ?? {});
    t.ok(text.includes(field), `${label}error names the field "${field}" (${text.slice(0, 200)})`);
  }
}

/** True when `seqs` are exactly from, from+1, …, to. */
export function isGapless(seqs: number[], from: number, to: number): boolean {
  if (seqs.length !== to - from + 1) return false;
  return seqs.every((s, i) => s === from + i);
}

export function describeSeqs(seqs: number[]): string {
  return seqs.length > 20 ? `${seqs.slice(0, 10).join(',')} … ${seqs.slice(-10).join(',')} (${seqs.length})` : seqs.join(',');
}

export const isoUtc = (s: unknown): boolean => typeof s === 'string' && !Number.isNaN(Date.parse(s)) && /Z$|[+-]00:?00$/.test(s);

export const codePoints = (s: string): number => [...s].length;

/**
 * Answers to calls made one after another against a token bucket of `burst`:
 * the burst is served (`served`), then a 429 RATE_LIMITED with Retry-After.
 * Returns the index of the first refusal, or -1.
 */
export function isBurstThenLimited(t: Test, results: Res[], burst: number, served: number): number {
  const statuses = results.map((r) => r.status);
  t.same(statuses.slice(0, burst), Array(burst).fill(served), `the burst is served: ${statuses.join(',')}`);
  const i = statuses.indexOf(429);
  t.ok(i >= burst, 'then refused');
  if (i < 0) return i;
  isError(t, results[i]!, 429, 'RATE_LIMITED');
  t.ok(Number(results[i]!.headers.get('retry-after')) >= 1, `Retry-After (${results[i]!.headers.get('retry-after')})`);
  return i;
}

