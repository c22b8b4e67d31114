export { ChatApiError } from './errors';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export { SeqTracker, type SeqVerdict } from './seq-tracker';
export { EventQueue } from './event-queue';
export { newClientMsgId } from './ids';
export { Session, type SessionOptions, type TokenPair, type StoredTokens, type TokenProvider } from './session';
export {
  RealtimeClient,
  type RealtimeOptions,
  type RealtimeEvents,
  type RoomEvent,
  type TimelineEvent,
  type Ack,
  type Notification,
  type ConnectionState,
  type WebSocketLike,
  type WebSocketConstructor,
  type SendFallback,
} from './realtime';
export {
  ChatHttpClient,
  bearerMiddleware,
  unwrap,
  type ChatHttpOptions,
  type AuthAnswer,
  type User,
  type Room,
  type RoomListing,
  type Member,
  type Message,
  type MessagePage,
  type EventPage,
  type SearchAnswer,
  type RegisterBody,
  type LoginBody,
  type CreateRoomBody,
} from './http';
export type { paths, operations } from './openapi-types';
