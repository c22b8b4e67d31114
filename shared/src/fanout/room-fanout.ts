import type { TimelineEvent } from '../events/timeline-events';

/**
 * Room fan-out between WebSocket instances (ADR 0011): each room's committed
 * timeline events go to a channel of that room; an instance listens only to
 * the rooms its sockets watch. At most once: a listener repairs what it may
 * have lost from the store (`lost`), so nothing here needs to be reliable.
 */
export interface RoomEventPublisher {
  /** Publishes events to their rooms' channels, in the order given (per room: seq order). */
  publish(events: readonly TimelineEvent[]): Promise<void>;
}

export interface RoomChannelHandlers {
  /** A room event received on a watched room's channel. */
  event(event: TimelineEvent): void;
  /** A removal or deletion in any room (all instances get these: see RecentDepartures). */
  departure(event: TimelineEvent): void;
  /** Events of these rooms may have been missed (the connection dropped, a subscribe came late): catch up from the store. */
  lost(roomIds: readonly string[]): void;
}

export interface RoomChannels {
  start(handlers: RoomChannelHandlers): Promise<void>;
  /** The room's first watcher here: subscribes to its channel. */
  watch(roomId: string): void;
  /** The room's last watcher here left: unsubscribes. */
  unwatch(roomId: string): void;
  /** Resolves once the room's channel subscription is confirmed, or has failed (never rejects). */
  ready(roomId: string): Promise<void>;
  stop(): Promise<void>;
}
