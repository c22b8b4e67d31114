import { AppError } from '@chat/shared/kernel/errors';
import { isUniqueViolation, type Db } from '@chat/shared/db/database';
import type { OutboxRelay } from '@chat/shared/events/outbox-relay';
import type { Clock, IdGenerator } from '@chat/shared/kernel/ids';
import type { RoomCache } from '@chat/shared/ports/room-cache';
import type { RoomCommand, RoomCommandResult, RoomCommands } from '@chat/shared/ports/room-commands';
import type { MessageView, Role, TimelineEvent } from '@chat/shared/events/timeline-events';
import { decide, decideCreate, type Outcome } from './domain/room.decide';
import { evolve } from './domain/room.evolve';
import { cloneState, directKeyOf, memberView, roomView, type RoomState } from './domain/room.state';
import { findByClientMsgIds, findDirectRoomId, findMessage, loadRoomState, lockRoomHead } from './room.repository';
import { appendTimeline } from './timeline.appender';
import { outboxIdOf } from './outbox-id';

interface Pending {
  command: RoomCommand;
  resolve: (r: RoomCommandResult) => void;
  reject: (e: unknown) => void;
}

interface Settled {
  pending: Pending;
  result?: RoomCommandResult;
  error?: unknown;
}

export interface RoomWriterOptions {
  readonly db: Db;
  readonly relay: OutboxRelay;
  readonly cache: RoomCache;
  readonly newId: IdGenerator;
  readonly clock: Clock;
  /** Most commands one transaction takes for one room. */
  readonly maxBatch?: number;
  readonly onBatch?: (size: number, seconds: number) => void;
}

const key = (senderId: string, clientMsgId: string) => `${senderId}\u0000${clientMsgId}`;

/**
 * The single writer of each room's timeline in this process. Commands for a
 * room queue up; each drain takes what is queued into ONE transaction: lock
 * the room row, decide every command against the current state, store the
 * numbered events with their projections and one outbox row, commit, then
 * answer and publish. The unique keys (room+seq, room+sender+clientMsgId)
 * keep the timeline right even if another writer overlaps.
 */
export class RoomWriter implements RoomCommands {
  private readonly queues = new Map<string, Pending[]>();
  private readonly states = new Map<string, RoomState>();
  private readonly maxBatch: number;

  constructor(private readonly o: RoomWriterOptions) {
    this.maxBatch = o.maxBatch ?? 256;
  }

  execute(command: RoomCommand): Promise<RoomCommandResult> {
    const lane = command.type === 'createRoom' ? this.createLane(command) : command.roomId;
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(lane);
      const pending = { command, resolve, reject };
      if (queue) return void queue.push(pending);
      this.queues.set(lane, [pending]);
      void this.drain(lane);
    });
  }

  /** Direct rooms of one pair share a lane, so two requests for the pair make one room. */
  private createLane(command: Extract<RoomCommand, { type: 'createRoom' }>): string {
    if (command.roomType !== 'direct') return `create:${this.o.newId()}`;
    const other = command.memberIds.find((id) => id !== command.actorId) ?? command.actorId;
    return `direct:${directKeyOf(command.actorId, other)}`;
  }

  private async drain(lane: string): Promise<void> {
    const queue = this.queues.get(lane)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      const started = process.hrtime.bigint();
      await this.runBatch(lane, batch);
      this.o.onBatch?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
    }
    this.queues.delete(lane);
  }

  private async runBatch(lane: string, batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { settled, outboxId, envelopes, roomId, state } = await this.transact(lane, batch);
        if (roomId && state) {
          this.states.set(roomId, state);
          await this.o.cache.putHead(roomId, state.lastSeq).catch(() => undefined);
          if (envelopes.some((e) => e.type.startsWith('member.') || e.type.startsWith('room.'))) {
            await this.o.cache.putMembers(roomId, state.deleted ? {} : (Object.fromEntries([...state.members].map(([id, m]) => [id, m.role])) as Record<string, Role>)).catch(() => this.o.cache.forget(roomId).catch(() => undefined));
          }
        }
        if (outboxId !== undefined) await this.o.relay.publishCommitted(outboxId, envelopes);
        for (const s of settled) (s.error === undefined ? s.pending.resolve(s.result!) : s.pending.reject(s.error));
        return;
      } catch (err) {
        if (lane.startsWith('create:') || lane.startsWith('direct:')) this.states.clear();
        else this.states.delete(lane);
        if (attempt < 3 && (isUniqueViolation(err) || isDeadlock(err))) continue;
        for (const p of batch) p.reject(err);
        return;
      }
    }
  }

  private async transact(lane: string, batch: Pending[]) {
    const now = this.o.clock().toISOString();
    const ctxBase = { now, newId: this.o.newId };
    return this.o.db.kysely.transaction().execute(async (trx) => {
      const settled: Settled[] = [];
      const events: TimelineEvent[] = [];
      let state: RoomState | undefined;
      let roomId: string | undefined;

      if (lane.startsWith('create:') || lane.startsWith('direct:')) {
        for (const pending of batch) {
          const command = pending.command as Extract<RoomCommand, { type: 'createRoom' }>;
          let existing: RoomState | undefined;
          if (lane.startsWith('direct:')) {
            const id = state?.id ?? (await findDirectRoomId(trx, lane.slice('direct:'.length)));
            if (id) {
              await lockRoomHead(trx, id, this.o.db.dialect);
              existing = state ?? (await loadRoomState(trx, id));
            }
          }
          const made = decideCreate(command, existing && cloneState(existing), ctxBase);
          state = made.state;
          for (const e of made.events) evolve(state, e);
          events.push(...made.events);
          roomId = state.id;
          settled.push({ pending, result: { type: 'room', room: roomView(state), created: made.created } });
        }
      } else {
        roomId = lane;
        const head = await lockRoomHead(trx, lane, this.o.db.dialect);
        const cached = this.states.get(lane);
        const current = cached && cached.lastSeq === head ? cached : head === undefined ? undefined : await loadRoomState(trx, lane);
        state = current && cloneState(current);
        const posts = batch.map((p) => p.command).filter((c): c is Extract<RoomCommand, { type: 'postMessage' }> => c.type === 'postMessage');
        const earlier = state ? await findByClientMsgIds(trx, lane, [...new Set(posts.map((p) => p.clientMsgId))]) : new Map<string, MessageView>();
        for (const pending of batch) {
          const command = pending.command;
          try {
            let message: MessageView | undefined;
            if (command.type === 'postMessage') message = earlier.get(key(command.actorId, command.clientMsgId));
            else if ((command.type === 'editMessage' || command.type === 'deleteMessage') && state) {
              message = events.findLast((e): e is Extract<TimelineEvent, { message: MessageView }> => 'message' in e && e.message.id === command.messageId)?.message ?? (await findMessage(trx, lane, command.messageId));
              if (message && events.some((e) => e.type === 'message.deleted' && e.messageId === command.messageId)) message = { ...message, deleted: true, body: '' };
            }
            const decision = decide(command, state, { ...ctxBase, message });
            for (const e of decision.events) evolve(state!, e);
            events.push(...decision.events);
            if (command.type === 'postMessage' && decision.outcome.kind === 'message' && decision.outcome.created) {
              const posted = decision.events[0] as Extract<TimelineEvent, { type: 'message.posted' }>;
              earlier.set(key(command.actorId, command.clientMsgId), posted.message);
            }
            settled.push({ pending, result: this.resultOf(decision.outcome, decision.events, state!) });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            settled.push({ pending, error: err });
          }
        }
      }
      if (events.length === 0 || !state) return { settled, outboxId: undefined, envelopes: [], roomId, state };
      const envelopes = await appendTimeline(trx, events, state, this.o.newId);
      const outboxId = await outboxIdOf(trx, this.o.db.dialect);
      return { settled, outboxId, envelopes, roomId, state };
    });
  }

  private resultOf(outcome: Outcome, events: TimelineEvent[], state: RoomState): RoomCommandResult {
    switch (outcome.kind) {
      case 'room':
        return { type: 'room', room: roomView(state), created: outcome.created };
      case 'member':
        return { type: 'member', member: memberView(outcome.userId, state.members.get(outcome.userId)!), created: outcome.created };
      case 'message': {
        if (outcome.existing) return { type: 'message', message: outcome.existing, created: false };
        const e = events.find((x): x is Extract<TimelineEvent, { message: MessageView }> => 'message' in x)!;
        return { type: 'message', message: e.message, created: outcome.created };
      }
      case 'done':
        return { type: 'done' };
    }
  }
}

function isDeadlock(err: unknown): boolean {
  const e = err as { errno?: number; code?: string };
  return e?.errno === 1213 || e?.errno === 1205 || e?.code === 'SQLITE_BUSY';
}
