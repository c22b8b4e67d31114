/**
 * The envelope every domain event travels in, on every EventBus adapter.
 * `key` is the ordering key: events with the same key are delivered in publish
 * order (room events use the roomId). `type` + `version` identify the schema;
 * a published version is never edited, a change adds a version and an upcaster.
 */
export interface EventEnvelope<TPayload = unknown> {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly key: string;
  readonly occurredAt: string;
  readonly payload: TPayload;
}

/** The event family is the part of the type before the first dot; each family is one topic. */
export function eventFamily(type: string): string {
  const dot = type.indexOf('.');
  return dot === -1 ? type : type.slice(0, dot);
}

/** Topics (event families) carried by the bus. Room timeline events all travel on `room`. */
export const TOPIC_OF_TYPE: Record<string, string> = {
  room: 'room',
  member: 'room',
  message: 'room',
  user: 'user',
  auth: 'user',
  typing: 'signal',
  presence: 'signal',
  notification: 'signal',
};

export function topicOf(type: string): string {
  return TOPIC_OF_TYPE[eventFamily(type)] ?? eventFamily(type);
}
