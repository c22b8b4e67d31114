import type { FastifyInstance } from 'fastify';
import type { Db } from '@chat/shared/db/database';
import { isUniqueViolation } from '@chat/shared/db/database';
import type { EventBus, Subscription } from '@chat/shared/events/event-bus';
import type { EventEnvelope } from '@chat/shared/events/event-envelope';
import type { TimelineEvent, UserView } from '@chat/shared/events/timeline-events';
import { serveContractRoute } from '@chat/shared/http/contract-route';
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

function notificationHandler(d: NotificationDeps): (e: EventEnvelope) => Promise<void> {
  return async (e: EventEnvelope) => {
    if (e.type === 'user.registered') {
      const user = (e.payload as { user?: UserView } | null)?.user;
      // Invalid for good: dead-lettered at once (any other error is retried).
      if (typeof user?.username !== 'string' || typeof user.id !== 'string') throw new PoisonEventError('user.registered without a user');
      const exists = await d.db.kysely.selectFrom('notification_usernames').select('user_id').where('username', '=', user.username).executeTakeFirst();
      if (!exists) await d.db.kysely.insertInto('notification_usernames').values({ username: user.username, user_id: user.id }).execute().catch((err) => { if (!isUniqueViolation(err)) throw err; });
      return;
    }
    const event = e.payload as TimelineEvent;
    if (event?.type !== 'message.posted') return;
    if (typeof event.message?.body !== 'string' || typeof event.seq !== 'number') throw new PoisonEventError('message.posted without a message');
    const names = mentionedUsernames(event.message.body);
    if (names.length === 0) return;
    const users = await d.db.kysely.selectFrom('notification_usernames').select(['user_id']).where('username', 'in', names).execute();
    for (const { user_id: userId } of users) {
      if (userId === event.actorId || !(await d.queries.roleOf(event.roomId, userId))) continue;
      const view: NotificationView = { id: d.newId(), kind: 'mention', roomId: event.roomId, messageId: event.message.id, seq: event.seq, actorId: event.actorId, createdAt: event.occurredAt };
      try {
        await d.db.kysely.insertInto('notifications').values({ id: view.id, user_id: userId, kind: 'mention', room_id: view.roomId, message_id: view.messageId, actor_id: view.actorId, seq: view.seq, created_at: Date.parse(view.createdAt) }).execute();
      } catch (err) {
        if (isUniqueViolation(err)) continue; // already recorded and signalled by an earlier delivery
        throw err;
      }
      await d.bus.publish([{ id: d.newId(), type: 'notification.created', version: 1, key: userId, occurredAt: view.createdAt, payload: { userId, notification: view } }]);
    }
  };
}

/** GET /v1/notifications?limit= : the caller's newest notifications. */
export async function notificationRoutes(app: FastifyInstance, d: { db: Db }): Promise<void> {
  serveContractRoute(app, listNotifications, async (request) => {
    const { limit = 50 } = request.query;
    const rows = await d.db.kysely.selectFrom('notifications').selectAll().where('user_id', '=', request.userId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return { notifications: rows.map((r) => ({ id: r.id, kind: r.kind, roomId: r.room_id, messageId: r.message_id, seq: Number(r.seq), actorId: r.actor_id, createdAt: new Date(Number(r.created_at)).toISOString() })) };
  });
}
