import { Phase3Cluster, phase3Available } from './phase3-cluster';
import { hasRealServices, ServerProcess, type Target } from './server-process';

/** Where a black-box test points: Phase 1 embedded, Phase 1 on MySQL + Redis, or Phase 3 behind its load balancer. */
export type ChatTarget = Target | 'phase3';

/** What a black-box test needs of a running chat server, whichever phase runs it. */
export interface ChatServer {
  readonly options: { readonly target: ChatTarget };
  readonly env: Record<string, string>;
  readonly baseUrl: Promise<string>;
  readonly wsUrl: Promise<string>;
  start(timeoutMs?: number): Promise<unknown>;
  stop(): Promise<void>;
  /** kill -9 of the process that writes the timeline. */
  kill(): Promise<void>;
  logs(): string;
}

export function chatServer(target: ChatTarget, env: Record<string, string> = {}): ChatServer {
  return target === 'phase3' ? new Phase3Cluster({ env }) : new ServerProcess({ target, env });
}

export function targetAvailable(target: ChatTarget): boolean {
  if (target === 'embedded') return true;
  return target === 'mysql' ? hasRealServices() : phase3Available();
}
