import type { Static } from '@sinclair/typebox';
import type { CLIENT_FRAMES, SERVER_FRAMES } from './ws-frames';

type Examples = { [K in keyof typeof CLIENT_FRAMES]: Static<(typeof CLIENT_FRAMES)[K]> } & { [K in keyof typeof SERVER_FRAMES]: Static<(typeof SERVER_FRAMES)[K]> };

const room = '0193f4a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e';
const alice = '0193f4a0-1111-7aaa-8bbb-000000000001';
const bob = '0193f4a0-2222-7aaa-8bbb-000000000002';
const message = '0193f4a3-3333-7ccc-8ddd-000000000003';
const at = '2026-11-28T01:50:00.000Z';

/** One example per frame, by message name; typed, so an example that no longer fits its frame does not compile. */
export const WS_FRAME_EXAMPLES: Examples & Record<string, object> = {
  auth: { type: 'auth', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkzZjRhMC0xMTExIn0.c2lnbmF0dXJl' },
  subscribe: { type: 'subscribe', roomId: room, sinceSeq: 41 },
  unsubscribe: { type: 'unsubscribe', roomId: room },
  send: { type: 'send', roomId: room, clientMsgId: 'c-7f3e2a', body: 'hello @bob' },
  typing: { type: 'typing', roomId: room },
  ping: { type: 'ping' },
  ready: { type: 'ready', userId: alice },
  subscribed: { type: 'subscribed', roomId: room, lastSeq: 42 },
  unsubscribed: { type: 'unsubscribed', roomId: room, reason: 'removed' },
  ack: { type: 'ack', roomId: room, clientMsgId: 'c-7f3e2a', messageId: message, seq: 43 },
  event: {
    type: 'event',
    roomId: room,
    seq: 43,
    event: {
      seq: 43,
      type: 'message.posted',
      roomId: room,
      actorId: alice,
      occurredAt: at,
      message: { id: message, roomId: room, seq: 43, senderId: alice, clientMsgId: 'c-7f3e2a', body: 'hello @bob', createdAt: at, editedAt: null, deleted: false },
    },
  },
  typingNotice: { type: 'typing', roomId: room, userId: bob },
  presence: { type: 'presence', userId: bob, status: 'online' },
  pong: { type: 'pong' },
  error: { type: 'error', code: 'VALIDATION_FAILED', message: 'body must be at most 4000 characters', roomId: room, clientMsgId: 'c-7f3e2a' },
  notification: { type: 'notification', notification: { id: '0193f4a4-4444-7eee-8fff-000000000004', kind: 'mention', roomId: room, messageId: message, seq: 43, actorId: alice, createdAt: at } },
};
