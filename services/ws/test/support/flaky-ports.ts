import { InProcessPresence } from '@chat/shared/cache/in-process-presence';
import type { EventBus, SubscribeOptions } from '@chat/shared/events/event-bus';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import { InMemoryEventBus } from '@chat/shared/events/in-memory-event-bus';
import type { Presence } from '@chat/shared/ports/presence';

/** What a dependency does when called: answers, fails at once (Redis refused), or never answers (Redis stopped). */
export type Mode = 'up' | 'down' | 'hung';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

async function as<T>(mode: Mode, work: () => Promise<T>): Promise<T> {
  if (mode === 'down') throw refused();
  if (mode === 'hung') return new Promise<T>(() => undefined);
  return work();
}

/** A Presence port (in process) that can be switched down or hung, counting its calls. */
export class FlakyPresence implements Presence {
  mode: Mode = 'up';
  readonly calls: string[] = [];
  readonly inner = new InProcessPresence();

  connect(userId: string, socketId: string) {
    this.calls.push('connect');
    return as(this.mode, () => this.inner.connect(userId, socketId));
  }
  disconnect(userId: string, socketId: string) {
    this.calls.push('disconnect');
    return as(this.mode, () => this.inner.disconnect(userId, socketId));
  }
  onlineAmong(userIds: readonly string[]) {
    return as(this.mode, () => this.inner.onlineAmong(userIds));
  }
  heartbeat(sockets: Iterable<[string, string]>) {
    this.calls.push('heartbeat');
    return as(this.mode, () => this.inner.heartbeat());
  }
}

/** An in-memory bus whose publish of signals (typing, presence) can be switched down or hung; timeline events always pass. */
export class FlakyBus implements EventBus {
  signals: Mode = 'up';
  readonly inner = new InMemoryEventBus({ retryBaseMs: 5 });

  publish(events: readonly EventEnvelope[]): Promise<void> {
    const timeline = events.every((e) => /^(room|member|message)\./.test(e.type));
    return timeline ? this.inner.publish(events) : as(this.signals, () => this.inner.publish(events));
  }
  subscribe(options: SubscribeOptions) {
    return this.inner.subscribe(options);
  }
  deadLetters() {
    return this.inner.deadLetters();
  }
  close() {
    return this.inner.close();
  }
}
