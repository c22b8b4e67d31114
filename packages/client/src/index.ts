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
} from './realtime';
