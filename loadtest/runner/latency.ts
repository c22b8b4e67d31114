import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

const EMPTY: LatencySummary = { count: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };

/**
 * Latencies in milliseconds, stored as microseconds in an HDR histogram
 * (1 µs … 1 h, 3 significant digits). Keeps a whole-run histogram and a
 * per-interval one that the sampler drains once a second.
 */
export class LatencyRecorder {
  private readonly total = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  private interval = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

  record(ms: number): void {
    const us = Math.max(1, Math.round(ms * 1000));
    const v = Math.min(us, 3_600_000_000);
    this.total.recordValue(v);
    this.interval.recordValue(v);
  }

  summary(): LatencySummary {
    return summarise(this.total);
  }

  /** Summary of the values recorded since the last call. */
  drainInterval(): LatencySummary {
    const s = summarise(this.interval);
    this.interval.reset();
    return s;
  }
}

function summarise(h: hdr.Histogram): LatencySummary {
  if (h.totalCount === 0) return EMPTY;
  const ms = (v: number): number => Math.round(v) / 1000;
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution; comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
