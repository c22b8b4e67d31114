import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import { isUniqueViolation } from '@chat/shared/db/database';
import type { EventBus, Subscription } from '@chat/shared/events/event-bus';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import type { TimelineEvent, UserView } from '@chat/shared/events/timeline-events';
import { serveContractRoute } from '@chat/shared/http/contract-route';
import { chatModule } from '@chat/shared/http/module-plugin';
import { listNotifications } from '@chat/shared/contract/http/messages';
import { PoisonEventError } from '@chat/shared/kernel/errors';
import type { IdGenerator } from '@chat/shared/kernel/ids';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { mentionedUsernames } from './mentions';

export interface NotificationView {
  id: string;
  kind: 'mention';
  roomId: string;
  messageId: string;
  seq: number;
  actorId: string;
  createdAt: string;
}

export interface NotificationDeps {
  db: Db;
  bus: EventBus;
  queries: RoomQueries;
  newId: IdGenerator;
  /** The clock of parked mentions (tests). */
  now?: () => number;
}

/**
 * How long a batch waits before it is handled (SubscribeOptions.lingerMs), so
 * that each fetch brings many events instead of one: most events mention
 * nobody, and reading them one fetch at a time was the cost. A mention is
 * signalled at most this much later.
 */
const BATCH_LINGER_MS = 100;

/**
 * Mentions: a message.posted naming `@username` of a member of that room
 * records one notification for that user (once per message, however often
 * the event is replayed) and signals it to the user's sockets.
 */
export async function startNotifications(d: NotificationDeps): Promise<Subscription> {
  const handler = notificationHandler(d);
  return d.bus.subscribe({
    group: 'notification',
    topics: ['room', 'user'],
    handler,
    // Every partition of a fetch lingers at once, not three at a time.
    partitionsConcurrently: 64,
    lingerMs: BATCH_LINGER_MS,
    // A partition's batch in one call (most events mention nobody and cost nothing), so the bus's
    // bookkeeping (offsets, heartbeat checks) is per batch. A transient failure retries the batch (recording
    // is idempotent); a poison event makes the bus fall back to `handler`, one event at a time, to isolate it.
    handleBatch: async (events) => {
      for (const e of events) await handler(e);
    },
  });
}

/**
 * A mention of a username not in the directory yet waits this long for its
 * user.registered (the user topic behind the room topic), then is dropped:
 * most such names belong to nobody (`@here`, typos), and these rows must not grow.
 */
export const PARKED_MENTION_TTL_MS = 15 * 60_000;
/** Unknown names parked per message, at most (the rest are dropped). */
const MAX_PARKED_PER_MESSAGE = 10;

interface Mention {
  roomId: string;
  messageId: string;
  seq: number;
  actorId: string;
  createdAt: string;
}

function notificationHandler(d: NotificationDeps): (e: EventEnvelope) => Promise<void> {
  const now = d.now ?? Date.now;
  let purgedAt = 0;

  /** Records the mention for `userId` once and signals it to their sockets, if they are a member of the room now. */
  const notify = async (userId: string, m: Mention): Promise<void> => {
    if (userId === m.actorId || !(await d.queries.roleOf(m.roomId, userId))) return;
    const view: NotificationView = { id: d.newId(), kind: 'mention', roomId: m.roomId, messageId: m.messageId, seq: m.seq, actorId: m.actorId, createdAt: m.createdAt };
    try {
      await d.db.kysely.insertInto('notifications').values({ id: view.id, user_id: userId, kind: 'mention', room_id: view.roomId, message_id: view.messageId, actor_id: view.actorId, seq: view.seq, created_at: Date.parse(view.createdAt) }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) return; // already recorded and signalled by an earlier delivery
      throw err;
    }
    await d.bus.publish([{ id: d.newId(), type: 'notification.created', version: 1, key: userId, occurredAt: view.createdAt, payload: { userId, notification: view } }]);
  };

  /** Keeps mentions of names not known yet, for their registration; drops those parked longer than the TTL. */
  const park = async (names: string[], m: Mention): Promise<void> => {
    const at = now();
    if (at - purgedAt > 60_000) {
      purgedAt = at;
      await d.db.kysely.deleteFrom('notification_parked_mentions').where('parked_at', '<', at - PARKED_MENTION_TTL_MS).execute();
    }
    const rows = names.slice(0, MAX_PARKED_PER_MESSAGE).map((username) => ({ username, message_id: m.messageId, room_id: m.roomId, actor_id: m.actorId, seq: m.seq, created_at: Date.parse(m.createdAt), parked_at: at }));
    for (const row of rows) {
      await d.db.kysely.insertInto('notification_parked_mentions').values(row).execute().catch((err) => {
        if (!isUniqueViolation(err)) throw err; // parked by an earlier delivery
      });
    }
  };

  /** A username just became known: the mentions that waited for it. */
  const unpark = async (username: string, userId: string): Promise<void> => {
    const parked = await d.db.kysely.selectFrom('notification_parked_mentions').selectAll().where('username', '=', username).where('parked_at', '>=', now() - PARKED_MENTION_TTL_MS).execute();
    for (const p of parked) await notify(userId, { roomId: p.room_id, messageId: p.message_id, seq: Number(p.seq), actorId: p.actor_id, createdAt: new Date(Number(p.created_at)).toISOString() });
    await d.db.kysely.deleteFrom('notification_parked_mentions').where('username', '=', username).execute();
  };

  return async (e: EventEnvelope) => {
    if (e.type === 'user.registered') {
      const user = (e.payload as { user?: UserView } | null)?.user;
      // Invalid for good: dead-lettered at once (any other error is retried).
      if (typeof user?.username !== 'string' || typeof user.id !== 'string') throw new PoisonEventError('user.registered without a user');
      const exists = await d.db.kysely.selectFrom('notification_usernames').select('user_id').where('username', '=', user.username).executeTakeFirst();
      if (!exists) await d.db.kysely.insertInto('notification_usernames').values({ username: user.username, user_id: user.id }).execute().catch((err) => { if (!isUniqueViolation(err)) throw err; });
      await unpark(user.username, exists?.user_id ?? user.id);
      return;
    }
    const event = e.payload as TimelineEvent;
    if (event?.type !== 'message.posted') return;
    if (typeof event.message?.body !== 'string' || typeof event.seq !== 'number') throw new PoisonEventError('message.posted without a message');
    const names = mentionedUsernames(event.message.body);
    if (names.length === 0) return;
    const mention: Mention = { roomId: event.roomId, messageId: event.message.id, seq: event.seq, actorId: event.actorId, createdAt: event.occurredAt };
    const known = await d.db.kysely.selectFrom('notification_usernames').select(['username', 'user_id']).where('username', 'in', names).execute();
    for (const { user_id: userId } of known) await notify(userId, mention);
    const unknown = names.filter((name) => !known.some((k) => k.username === name));
    // No order between the user topic and the room topic: a member registered a moment ago may not be known yet.
    if (unknown.length > 0) await park(unknown, mention);
  };
}

/** GET /v1/notifications as a plugin: needs the HTTP shell. */
export const notificationsModule = chatModule<{ db: Db }>('chat-notifications', [], (app, d) => notificationRoutes(app, d));

/** GET /v1/notifications?limit= : the caller's newest notifications. */
async function notificationRoutes(app: FastifyInstance, d: { db: Db }): Promise<void> {
  serveContractRoute(app, listNotifications, async (request) => {
    const { limit = 50 } = request.query;
    const rows = await d.db.kysely.selectFrom('notifications').selectAll().where('user_id', '=', request.userId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return { notifications: rows.map((r) => ({ id: r.id, kind: r.kind, roomId: r.room_id, messageId: r.message_id, seq: Number(r.seq), actorId: r.actor_id, createdAt: new Date(Number(r.created_at)).toISOString() })) };
  });
}
