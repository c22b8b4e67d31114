import type { Offsets } from 'kafkajs';

/** Commits one set of offsets with the member's current generation, once (no retry across a rebalance). */
export type CommitOnce = (offsets: Offsets) => Promise<void>;

interface Mark {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to read: everything before it is handled. */
  readonly offset: string;
  readonly epoch: number;
}

/** Errors that say this member's generation is over (or ending): its marks may belong to partitions it lost. */
const GENERATION_OVER = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);
const MEMBERSHIP_ERRORS = new Set([...GENERATION_OVER, 'REBALANCE_IN_PROGRESS']);

function hasType(err: unknown, types: Set<string>): boolean {
  for (let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && types.has(e.type)) return true;
  }
  return false;
}

/** The coordinator no longer counts this member in its generation (a heartbeat or commit said so). */
export const generationOver = (err: unknown) => hasType(err, GENERATION_OVER);
const membershipLost = (err: unknown) => hasType(err, MEMBERSHIP_ERRORS);
/** A rebalance started: the generation still holds until this member rejoins. */
export const rebalancing = (err: unknown) => hasType(err, new Set(['REBALANCE_IN_PROGRESS']));

const key = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Which partitions this member owns, and what it handled of them, committed
 * only while it still owns them. Every assignment (GROUP_JOIN) or loss of the
 * consumer starts a new epoch: marks of an older epoch are dropped, since their
 * partition was either revoked (committing it could move the new owner's
 * offset backwards) or is read again from its committed offset anyway (kafkajs
 * restarts every partition there after a rejoin). A commit that fails because
 * the generation is over is dropped too, never retried under a later one.
 */
export class KafkaOffsetTracker {
  private epochNo = 0;
  private owned = new Set<string>();
  private readonly marks = new Map<string, Mark>();
  private commitOnce: CommitOnce | undefined;
  private committing: Promise<void> = Promise.resolve();

  constructor(private readonly onCommitError: (err: unknown, dropped: boolean) => void) {}

  get epoch(): number {
    return this.epochNo;
  }

  /** The member (re)joined with this assignment (`{ topic: [partitions] }`). */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.epochNo++;
    this.owned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => key(t, p))));
    this.marks.clear();
  }

  /** The consumer stopped or crashed: it owns nothing until it joins again. */
  lost(): void {
    this.epochNo++;
    this.owned.clear();
    this.marks.clear();
    this.commitOnce = undefined;
  }

  owns(topic: string, partition: number, epoch = this.epochNo): boolean {
    return epoch === this.epochNo && this.owned.has(key(topic, partition));
  }

  /** Everything before `nextOffset` was handled, in `epoch`; kept for the next commit if still owned. */
  handled(topic: string, partition: number, nextOffset: string, epoch: number, commitOnce: CommitOnce): void {
    if (!this.owns(topic, partition, epoch)) return;
    this.commitOnce = commitOnce;
    this.marks.set(key(topic, partition), { topic, partition, offset: nextOffset, epoch });
  }

  /** Commits the marks of owned partitions in one request; commits never overlap. */
  commit(): Promise<void> {
    // Never rejects: a failure is reported (onCommitError) and its marks kept or dropped.
    this.committing = this.committing.then(() => this.commitMarks()).catch((err: unknown) => this.onCommitError(err, true));
    return this.committing;
  }

  private async commitMarks(): Promise<void> {
    const commitOnce = this.commitOnce;
    const epoch = this.epochNo;
    const batch = [...this.marks.values()].filter((m) => this.owns(m.topic, m.partition, m.epoch));
    this.marks.clear();
    if (batch.length === 0 || !commitOnce) return;
    const topics = new Map<string, { partition: number; offset: string }[]>();
    for (const m of batch) {
      const list = topics.get(m.topic) ?? [];
      list.push({ partition: m.partition, offset: m.offset });
      topics.set(m.topic, list);
    }
    try {
      await commitOnce({ topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
    } catch (err) {
      const drop = membershipLost(err) || epoch !== this.epochNo;
      if (!drop) {
        for (const m of batch) if (!this.marks.has(key(m.topic, m.partition)) && this.owns(m.topic, m.partition, m.epoch)) this.marks.set(key(m.topic, m.partition), m);
      }
      this.onCommitError(err, drop);
    }
  }
}
