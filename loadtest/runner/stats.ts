// Counters and latency recorders of one scenario run, plus the per-room
// sequence checks every subscriber performs (gaps = lost, repeats = duplicated).
import { LatencyRecorder, nowMs } from './latency';
import type { ClientConn, ConnHandlers } from './types';

export class LoadStats {
  sent = 0;
  acked = 0;
  delivered = 0;
  foreignDeliveries = 0;
  duplicated = 0;
  /** Seq gaps seen by subscribers: events skipped in the middle of a stream. */
  lost = 0;
  /** Acked events a subscriber had not received when the run closed its sockets (in flight, or lost at the tail). */
  undeliveredAtClose = 0;
  closes = 0;
  /** Seconds into the load when the open loop gave up because the backlog grew past its cap. */
  abortedAtS: number | undefined = undefined;
  /** Set before the runner closes its own sockets, so those closes are not errors. */
  closing = false;
  readonly errors = new Map<string, number>();
  readonly ack = new LatencyRecorder();
  readonly deliver = new LatencyRecorder();
  readonly connect = new LatencyRecorder();
  /** How late the open-loop scheduler actually sent, versus the intended time. */
  readonly sendLag = new LatencyRecorder();
  /** Highest acked seq per room: what every subscriber should have reached. */
  readonly maxAckedSeq = new Map<string, number>();
  /** Intended send time (epoch ms) per message index, for ack latency. */
  intended: Float64Array = new Float64Array(0);
  tag = '';
  /** performance.now() of the first send and of the last ack / delivery: the spans rates are computed over. */
  firstSendAt = 0;
  lastAckAt = 0;
  lastDeliverAt = 0;
  /** Messages with a lower index are warm-up: counted and checked, but their latencies are not recorded. */
  measureFrom = 0;

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  noteAck(roomId: string, clientMsgId: string, seq: number): void {
    const i = Number(clientMsgId.slice(this.tag.length + 1));
    const t = this.intended[i];
    if (t === undefined || t === 0 || !clientMsgId.startsWith(this.tag)) return;
    this.intended[i] = 0;
    this.acked++;
    this.lastAckAt = performance.now();
    if (i >= this.measureFrom) this.ack.record(nowMs() - t);
    if (seq > (this.maxAckedSeq.get(roomId) ?? 0)) this.maxAckedSeq.set(roomId, seq);
  }
}

/** Per connection: last seq seen per room, checked on every event. */
export class SubscriberCheck {
  readonly lastSeq = new Map<string, number>();

  constructor(private readonly stats: LoadStats) {}

  subscribed(roomId: string, lastSeq: number): void {
    this.lastSeq.set(roomId, lastSeq);
  }

  /** Returns false for a repeat, which must not count as a delivery. */
  seen(roomId: string, seq: number): boolean {
    const last = this.lastSeq.get(roomId);
    if (last === undefined) return true;
    if (seq <= last) {
      this.stats.duplicated++;
      return false;
    }
    if (seq > last + 1) this.stats.lost += seq - last - 1;
    this.lastSeq.set(roomId, seq);
    return true;
  }

  /** Events the subscriber never got after the last acked one (tail loss). */
  tailLoss(): number {
    let n = 0;
    for (const [roomId, last] of this.lastSeq) n += Math.max(0, (this.stats.maxAckedSeq.get(roomId) ?? 0) - last);
    return n;
  }
}

/** Installs the measuring handlers on a connection; `roomOfAck` maps acks to rooms. */
export function instrument(conn: ClientConn, stats: LoadStats, roomOfMsg: (i: number) => string): SubscriberCheck {
  const check = new SubscriberCheck(stats);
  const handlers: ConnHandlers = {
    onMessage(roomId, seq, body) {
      if (!check.seen(roomId, seq)) return;
      const at = nowMs();
      // Our bodies are `{"t":<ms>,"id":<i>}`: read them without a second JSON.parse.
      if (!body.startsWith('{"t":')) {
        stats.foreignDeliveries++;
        return;
      }
      const t = parseFloat(body.slice(5));
      const id = parseInt(body.slice(body.indexOf('"id":') + 5), 10);
      stats.delivered++;
      stats.lastDeliverAt = performance.now();
      if (id >= stats.measureFrom) stats.deliver.record(at - t);
    },
    onOtherEvent(roomId, seq) {
      check.seen(roomId, seq);
    },
    onAck(clientMsgId, seq) {
      const i = Number(clientMsgId.slice(stats.tag.length + 1));
      stats.noteAck(roomOfMsg(i), clientMsgId, seq);
    },
    onError(code) {
      stats.error(`ws:${code}`);
    },
    onClose(code) {
      if (stats.closing) return;
      stats.closes++;
      stats.error(`close:${code}`);
    },
  };
  conn.handlers = handlers;
  return check;
}
