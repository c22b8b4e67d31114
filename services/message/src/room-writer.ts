import { AppError, isDependencyUnavailable, type ErrorCode } from '@chat/shared/kernel/errors';
import type { Transaction } from 'kysely';
import { isUniqueViolation, type Db } from '@chat/shared/db/database';
import type { Database } from '@chat/shared/db/schema';
import type { OutboxRelay } from '@chat/shared/events/outbox-relay';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import type { Clock, IdGenerator } from '@chat/shared/kernel/ids';
import type { RoomCache } from '@chat/shared/ports/room-cache';
import type { RoomCommand, RoomCommandOutcome, RoomCommandResult, RoomCommands } from '@chat/shared/ports/room-commands';
import type { MessageView, Role, TimelineEvent } from '@chat/shared/events/timeline-events';
import { decide, decideCreate, type Outcome } from './domain/room.decide';
import { evolve } from './domain/room.evolve';
import { cloneState, directKeyOf, memberView, roomView, type RoomState } from './domain/room.state';
import { findDirectRoomId, findEarlierPosts, findMessage, loadRoomState, lockRoomHead, lockRoomHeads, postKeyOf } from './room.repository';
import { appendTimeline } from './timeline.appender';

interface Pending {
  command: RoomCommand;
  /** When it was queued (performance.now()). */
  at: number;
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
  /** Most rooms one transaction takes (group commit). */
  readonly maxLanesPerCommit?: number;
  /** Transactions in flight at once (default: 1 on SQLite, 8 on MySQL, below the pool's 10). */
  readonly maxConcurrentCommits?: number;
  /**
   * While a transaction is in flight, another starts only once a full group
   * of rooms is ready or the oldest queued command has waited this long (ms;
   * default 3). Below that, commands wait for the commit in flight and go
   * together in the next, bigger one: fewer statements and fsyncs per message.
   */
  readonly overlapAfterMs?: number;
  /**
   * Most room states kept in memory between commands (least recently used
   * dropped first; a room with a command queued or in flight is never dropped).
   * A dropped room is loaded from the store on its next command. Default 10,000.
   */
  readonly roomCacheSize?: number;
  readonly onBatch?: (size: number, seconds: number) => void;
}

/** One lane's decisions in a transaction, before they are stored. */
interface Decided {
  settled: Settled[];
  events: TimelineEvent[];
  roomId: string | undefined;
  state: RoomState | undefined;
}

/** A group's decisions once stored: one outbox row and the envelopes of every lane. */
interface Stored {
  lanes: Decided[];
  outboxId: number | undefined;
  envelopes: EventEnvelope[];
}

/** Reads for a transaction's room lanes, made once for the group. */
interface RoomReads {
  heads: Map<string, number>;
  earlier: Map<string, Map<string, MessageView>>;
}

const isCreateLane = (lane: string) => lane.startsWith('create:') || lane.startsWith('direct:');

/** What the room state cache holds and did: rooms kept now, commands served from it or loaded, rooms dropped. */
export interface RoomStateCacheStats {
  rooms: number;
  hits: number;
  misses: number;
  evictions: number;
}

/**
 * The single writer of each room's timeline in this process. Commands queue
 * per room (a lane); a lane is in at most one transaction at a time. Each
 * transaction takes what is queued for up to `maxLanesPerCommit` lanes at
 * once (group commit: one fsync for many rooms), and for each lane locks the
 * room row, decides every command against the current state and stores the
 * numbered events with their projections and one outbox row. After the
 * commit it answers and hands the row to the outbox relay, which publishes
 * rows in commit order. A batch the store refuses is split until only the
 * refused command fails (commitLane). The unique
 * keys (room+seq, room+sender+clientMsgId) keep the timeline right even if
 * another writer overlaps.
 *
 * The state of each room (row and members) is kept between commands, bounded
 * by `roomCacheSize` rooms; a cached state is used only when its lastSeq is
 * the locked head, so a dropped or stale state is simply loaded again.
 */
export class RoomWriter implements RoomCommands {
  private readonly queues = new Map<string, Pending[]>();
  /** Room states by room id, least recently used first (bounded by roomCacheSize). */
  private readonly states = new Map<string, RoomState>();
  private readonly roomCacheSize: number;
  private readonly stats = { hits: 0, misses: 0, evictions: 0 };
  /** Lanes with queued commands and no transaction in flight, oldest first. */
  private readonly ready = new Set<string>();
  private readonly inFlight = new Set<string>();
  private activeCommits = 0;
  private readonly maxBatch: number;
  private readonly maxLanes: number;
  private readonly maxCommits: number;
  private readonly overlapAfterMs: number;
  private overlapTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RoomWriterOptions) {
    this.maxBatch = o.maxBatch ?? 256;
    // SQLite has one connection, so one transaction at a time taking many rooms (one fsync for all);
    // MySQL overlaps transactions on its pool, each taking up to 16 rooms, but only once commands wait (overlapAfterMs):
    // at 2,000 msgs/s over 100 rooms, 8 eager transactions of 8 rooms carried 1.3 messages each; waiting for the one in
    // flight cut the writer's CPU per message by a third, node and MariaDB alike (docs/performance.md, issue 13).
    const sqlite = o.db.dialect === 'sqlite';
    this.maxLanes = o.maxLanesPerCommit ?? (sqlite ? 64 : 16);
    this.maxCommits = o.maxConcurrentCommits ?? (sqlite ? 1 : 8);
    this.overlapAfterMs = o.overlapAfterMs ?? 3;
    this.roomCacheSize = o.roomCacheSize ?? 10_000;
  }

  get cacheStats(): RoomStateCacheStats {
    return { rooms: this.states.size, ...this.stats };
  }

  execute(command: RoomCommand): Promise<RoomCommandResult> {
    const lane = command.type === 'createRoom' ? this.createLane(command) : command.roomId;
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(lane);
      const pending = { command, at: performance.now(), resolve, reject };
      if (queue) queue.push(pending);
      else this.queues.set(lane, [pending]);
      if (!this.inFlight.has(lane)) this.ready.add(lane);
      this.pump();
    });
  }

  async executeMany(commands: RoomCommand[]): Promise<RoomCommandOutcome[]> {
    // Every execute() is queued before the first await: the order of `commands` is the order of their seqs per room.
    const settled = await Promise.allSettled(commands.map((c) => this.execute(c)));
    return settled.map((s) => (s.status === 'fulfilled' ? { result: s.value } : { error: outcomeError(s.reason) }));
  }

  /** Resolves once nothing is queued or committing: shutdown waits for it before closing the database. */
  async idle(): Promise<void> {
    while (this.activeCommits > 0 || this.queues.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  /** Direct rooms of one pair share a lane, so two requests for the pair make one room. */
  private createLane(command: Extract<RoomCommand, { type: 'createRoom' }>): string {
    if (command.roomType !== 'direct') return `create:${this.o.newId()}`;
    const other = command.memberIds.find((id) => id !== command.actorId) ?? command.actorId;
    return `direct:${directKeyOf(command.actorId, other)}`;
  }

  /** Starts commits while there is work and room for another transaction (see overlapAfterMs). */
  private pump(): void {
    while (this.activeCommits < this.maxCommits && this.ready.size > 0) {
      if (this.activeCommits > 0 && !this.overlapDue()) break;
      const group: { lane: string; batch: Pending[] }[] = [];
      for (const lane of this.ready) {
        if (group.length >= this.maxLanes) break;
        this.ready.delete(lane);
        this.inFlight.add(lane);
        const queue = this.queues.get(lane)!;
        group.push({ lane, batch: queue.splice(0, this.maxBatch) });
        if (queue.length === 0) this.queues.delete(lane);
      }
      // A fixed lock order: two transactions never wait on each other's rooms in a cycle.
      group.sort((a, b) => (a.lane < b.lane ? -1 : 1));
      this.activeCommits++;
      const started = process.hrtime.bigint();
      void this.commitGroup(group).finally(() => {
        this.o.onBatch?.(group.reduce((n, g) => n + g.batch.length, 0), Number(process.hrtime.bigint() - started) / 1e9);
        this.activeCommits--;
        for (const { lane } of group) {
          this.inFlight.delete(lane);
          if (this.queues.has(lane)) this.ready.add(lane);
        }
        this.trimStates();
        this.pump();
      });
    }
  }

  /**
   * Whether to start a transaction beside the ones in flight: a full group is
   * ready, or the oldest ready command has waited overlapAfterMs. If not yet,
   * a timer looks again then (a commit that ends first pumps anyway).
   */
  private overlapDue(): boolean {
    if (this.ready.size >= this.maxLanes) return true;
    const oldest = this.queues.get(this.ready.values().next().value!)?.[0]?.at ?? 0;
    const waited = performance.now() - oldest;
    if (waited >= this.overlapAfterMs) return true;
    if (!this.overlapTimer) {
      this.overlapTimer = setTimeout(() => {
        this.overlapTimer = undefined;
        this.pump();
      }, Math.max(1, this.overlapAfterMs - waited));
      // The commit in flight holds the process open; this only looks again.
      this.overlapTimer.unref();
    }
    return false;
  }

  /** One transaction for the group; if it fails, each lane alone, so one bad lane cannot fail the others. */
  private async commitGroup(group: { lane: string; batch: Pending[] }[]): Promise<void> {
    if (group.length > 1) {
      let done: Stored | undefined;
      try {
        done = await this.o.db.kysely.transaction().execute(async (trx) => {
          const read = await this.readRooms(trx, group);
          const decided = [];
          for (const { lane, batch } of group) decided.push(await this.transact(trx, lane, batch, read));
          return this.store(trx, decided);
        });
      } catch {
        for (const { lane } of group) this.forgetState(lane);
      }
      // Outside the try: what committed is never committed again.
      if (done) return this.afterCommit(done);
    }
    for (const { lane, batch } of group) await this.commitLane(lane, batch);
  }

  /**
   * One lane's batch in one transaction, tried again after a lost race (unique
   * key, deadlock). If it still fails, the batch is split in halves committed
   * one after the other (recursively), so only the command the store refuses
   * fails and the others keep their order. An unreachable store fails the
   * whole batch at once (splitting would only multiply the waits).
   */
  private async commitLane(lane: string, batch: Pending[]): Promise<void> {
    let failure: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      let done: Stored;
      try {
        done = await this.o.db.kysely.transaction().execute(async (trx) => {
          const read = await this.readRooms(trx, [{ lane, batch }]);
          return this.store(trx, [await this.transact(trx, lane, batch, read)]);
        });
      } catch (err) {
        this.forgetState(lane);
        failure = err;
        if (isUniqueViolation(err) || isDeadlock(err)) continue;
        break;
      }
      return this.afterCommit(done);
    }
    if (batch.length > 1 && !isDependencyUnavailable(failure)) {
      const half = Math.ceil(batch.length / 2);
      await this.commitLane(lane, batch.slice(0, half));
      await this.commitLane(lane, batch.slice(half));
      return;
    }
    for (const p of batch) p.reject(failure);
  }

  /** Keeps `state` as the most recently used room (trimStates drops the least recently used). */
  private rememberState(roomId: string, state: RoomState): void {
    this.states.delete(roomId);
    this.states.set(roomId, state);
  }

  /**
   * Drops least recently used states until at most roomCacheSize are kept,
   * skipping (and keeping as recent) rooms with a command queued or in flight.
   * Visits each state at most once, so it ends even when every room is busy.
   */
  private trimStates(): void {
    for (let visits = this.states.size; this.states.size > this.roomCacheSize && visits > 0; visits--) {
      const [roomId, state] = this.states.entries().next().value!;
      this.states.delete(roomId);
      if (this.inFlight.has(roomId) || this.queues.has(roomId)) this.states.set(roomId, state);
      else this.stats.evictions++;
    }
  }

  private forgetState(lane: string): void {
    if (lane.startsWith('create:') || lane.startsWith('direct:')) this.states.clear();
    else this.states.delete(lane);
  }

  /**
   * Stores what the lanes decided: every room's events, projections and one
   * outbox row for the whole group, in a few statements (appendTimeline).
   */
  private async store(trx: Transaction<Database>, lanes: Decided[]): Promise<Stored> {
    const changed = lanes.filter((l) => l.events.length > 0 && l.state);
    if (changed.length === 0) return { lanes, outboxId: undefined, envelopes: [] };
    const { envelopes, outboxId } = await appendTimeline(trx, changed.map((l) => ({ events: l.events, after: l.state! })), this.o.newId);
    return { lanes, outboxId, envelopes };
  }

  /**
   * After the commit: caches, the answers, then the outbox row goes to the
   * relay, which publishes rows in commit order (per room: seq order) and
   * retries a refused publish in place; the lane is free once this returns.
   */
  private async afterCommit({ lanes, outboxId, envelopes }: Stored): Promise<void> {
    // Every room's cache writes at once: one round trip to Redis for the group (one write when pipelined), not one per room.
    await Promise.all(lanes.map((lane) => this.updateCache(lane)));
    this.trimStates();
    // Committed is durable: answer now, whatever the bus does. The handover never waits for the bus.
    for (const { settled } of lanes) for (const s of settled) (s.error === undefined ? s.pending.resolve(s.result!) : s.pending.reject(s.error));
    if (outboxId !== undefined) await this.o.relay.publishCommitted(outboxId, envelopes);
  }

  /** The room's state kept, and the shared cache told its new head (and members, when they changed). */
  private async updateCache({ events, roomId, state }: Decided): Promise<void> {
    if (!roomId || !state) return;
    this.rememberState(roomId, state);
    const head = this.o.cache.putHead(roomId, state.lastSeq).catch(() => undefined);
    if (events.some((e) => e.type.startsWith('member.') || e.type.startsWith('room.'))) {
      const members = state.deleted ? {} : (Object.fromEntries([...state.members].map(([id, m]) => [id, m.role])) as Record<string, Role>);
      await this.o.cache.putMembers(roomId, members).catch(() => this.o.cache.forget(roomId).catch(() => undefined));
    }
    await head;
  }

  /**
   * What every room lane of a transaction needs before deciding, in two
   * statements for the whole group: the room rows locked with their heads, and
   * the earlier messages of repeated posts.
   */
  private async readRooms(trx: Transaction<Database>, group: { lane: string; batch: Pending[] }[]): Promise<RoomReads> {
    const rooms = group.filter((g) => !isCreateLane(g.lane));
    const heads = await lockRoomHeads(trx, rooms.map((g) => g.lane), this.o.db.dialect);
    const keys = rooms
      .filter((g) => heads.has(g.lane))
      .flatMap((g) => g.batch.map((p) => p.command).filter((c): c is Extract<RoomCommand, { type: 'postMessage' }> => c.type === 'postMessage'))
      .map((c) => ({ roomId: c.roomId, senderId: c.actorId, clientMsgId: c.clientMsgId }));
    return { heads, earlier: await findEarlierPosts(trx, keys) };
  }

  /** Decides the lane's commands against the room's current state (read by readRooms); writes nothing (store() does). */
  private async transact(trx: Transaction<Database>, lane: string, batch: Pending[], read: RoomReads): Promise<Decided> {
    const now = this.o.clock().toISOString();
    const ctxBase = { now, newId: this.o.newId };
    {
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
        const head = read.heads.get(lane);
        const cached = this.states.get(lane);
        const fresh = cached !== undefined && cached.lastSeq === head;
        if (head !== undefined) this.stats[fresh ? 'hits' : 'misses']++;
        const current = fresh ? cached : head === undefined ? undefined : await loadRoomState(trx, lane);
        state = current && cloneState(current);
        const earlier = new Map(read.earlier.get(lane));
        for (const pending of batch) {
          const command = pending.command;
          try {
            let message: MessageView | undefined;
            if (command.type === 'postMessage') message = earlier.get(postKeyOf(command.actorId, command.clientMsgId));
            else if ((command.type === 'editMessage' || command.type === 'deleteMessage') && state) {
              message = events.findLast((e): e is Extract<TimelineEvent, { message: MessageView }> => 'message' in e && e.message.id === command.messageId)?.message ?? (await findMessage(trx, lane, command.messageId));
              if (message && events.some((e) => e.type === 'message.deleted' && e.messageId === command.messageId)) message = { ...message, deleted: true, body: '' };
            }
            const decision = decide(command, state, { ...ctxBase, message });
            for (const e of decision.events) evolve(state!, e);
            events.push(...decision.events);
            if (command.type === 'postMessage' && decision.outcome.kind === 'message' && decision.outcome.created) {
              const posted = decision.events[0] as Extract<TimelineEvent, { type: 'message.posted' }>;
              earlier.set(postKeyOf(command.actorId, command.clientMsgId), posted.message);
            }
            settled.push({ pending, result: this.resultOf(decision.outcome, decision.events, state!) });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            settled.push({ pending, error: err });
          }
        }
      }
      return { settled, events, roomId, state };
    }
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

function outcomeError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  if (isDependencyUnavailable(err)) return { code: 'UNAVAILABLE', message: 'a dependency is unavailable, retry shortly' };
  return { code: 'INTERNAL', message: 'internal error' };
}

function isDeadlock(err: unknown): boolean {
  const e = err as { errno?: number; code?: string };
  return e?.errno === 1213 || e?.errno === 1205 || e?.code === 'SQLITE_BUSY';
}
