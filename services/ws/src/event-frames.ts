import type { TimelineEvent } from '@chat/shared/events/timeline-events';

/**
 * Event frames, serialized once per event object: for every socket a live
 * event goes to, and for a replay page's weighing and sending.
 */
export class EventFrames {
  private readonly frames = new WeakMap<TimelineEvent, string>();

  of(event: TimelineEvent): string {
    let text = this.frames.get(event);
    if (text === undefined) {
      text = JSON.stringify({ type: 'event', roomId: event.roomId, seq: event.seq, event });
      this.frames.set(event, text);
    }
    return text;
  }

  bytes(event: TimelineEvent): number {
    return Buffer.byteLength(this.of(event));
  }
}
