// The user ladder's arithmetic, kept free of I/O so it can be unit-tested:
// the steps and their ramps, how one user's sends (and history reads) are
// spread over time, and which room a virtual user sits in.

/** Options of the `ladder` scenario (the k6 users.js profile, as the Node runner runs it). */
export interface LadderConfig {
  readonly scenario: 'ladder';
  /** Concurrent virtual users per step, increasing (100, 500, 1,000, 5,000, 10,000). */
  readonly steps: readonly number[];
  /** Measured seconds per step (after the ramp and the settle). */
  readonly stepSeconds: number;
  /** Seconds between the last connection of a step's ramp and its measurement. */
  readonly settleSeconds: number;
  /** Messages per second each virtual user sends over its WebSocket (k6 USER_MSG_RATE). */
  readonly userMsgRate: number;
  /** Each virtual user reads one history page about this often, in seconds (0: never). */
  readonly historyEveryS: number;
  /** Virtual users per room (k6 ROOM_SIZE). */
  readonly roomSize: number;
  /** Registered accounts the virtual users share (registration hashes with scrypt). */
  readonly users: number;
  /** New WebSocket connections per second while a step ramps up. */
  readonly connectRate: number;
}

/** The defaults: the strategy's ladder with 30 s per step. */
export const LADDER_DEFAULTS: LadderConfig = {
  scenario: 'ladder',
  steps: [100, 500, 1000, 5000, 10000],
  stepSeconds: 30,
  settleSeconds: 3,
  userMsgRate: 0.2,
  historyEveryS: 60,
  roomSize: 10,
  users: 100,
  connectRate: 250,
};

/** Parses "100,500,1000": positive integers, strictly increasing. */
export function parseSteps(text: string): number[] {
  const steps = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (steps.length === 0) throw new Error('--steps: give at least one user count, e.g. 100,500,1000');
  steps.forEach((n, k) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`--steps: ${n} is not a positive whole number`);
    if (k > 0 && n <= steps[k - 1]!) throw new Error(`--steps must increase (${steps[k - 1]} then ${n})`);
  });
  return steps;
}

/** One step of the ladder, as planned. */
export interface PlannedStep {
  readonly index: number;
  readonly users: number;
  /** Connections opened during this step's ramp (users − the previous step's users). */
  readonly newConnections: number;
  /** Rooms in use at this step: ceil(users / roomSize). */
  readonly rooms: number;
  /** Shortest ramp at `connectRate`, in seconds. */
  readonly rampSeconds: number;
  readonly settleSeconds: number;
  readonly measureSeconds: number;
  /** Messages per second offered at this step: users × userMsgRate. */
  readonly offeredPerS: number;
}

/** The step schedule: each step adds the connections it lacks, settles, then measures. */
export function planLadder(cfg: LadderConfig): PlannedStep[] {
  return cfg.steps.map((users, index) => {
    const newConnections = users - (index > 0 ? cfg.steps[index - 1]! : 0);
    return {
      index,
      users,
      newConnections,
      rooms: Math.ceil(users / cfg.roomSize),
      rampSeconds: newConnections / cfg.connectRate,
      settleSeconds: cfg.settleSeconds,
      measureSeconds: cfg.stepSeconds,
      offeredPerS: users * cfg.userMsgRate,
    };
  });
}

/**
 * `n` users each acting `perUserRate` times a second, spread evenly: user u
 * starts at phase u / (n · perUserRate) and then repeats every 1 / perUserRate s.
 * Merged, that is one open-loop stream at n · perUserRate per second whose
 * event i belongs to user i mod n, at i / (n · perUserRate) s: the runner's
 * open loop drives it unchanged, and no two users act in lockstep.
 */
export interface SpreadSchedule {
  /** Events per second over all users. */
  readonly rate: number;
  /** Which user event i belongs to. */
  userOf(i: number): number;
  /** Intended time of event i, in ms after the start. */
  offsetMs(i: number): number;
  /** User u's first event, in ms after the start. */
  phaseMs(u: number): number;
}

export function spreadSchedule(n: number, perUserRate: number): SpreadSchedule {
  const rate = n * perUserRate;
  return {
    rate,
    userOf: (i) => i % n,
    offsetMs: (i) => (i * 1000) / rate,
    phaseMs: (u) => (u * 1000) / rate,
  };
}

/** The room index of virtual user `vu`: rooms fill one after another, like k6 users.js. */
export const roomOfUser = (vu: number, roomSize: number): number => Math.floor(vu / roomSize);

/** The pool accounts that are room `room`'s members (distinct while roomSize ≤ pool size). */
export function roomMembers(room: number, roomSize: number, poolSize: number): number[] {
  return [...new Set(Array.from({ length: roomSize }, (_, j) => (room * roomSize + j) % poolSize))];
}

/** Sockets subscribed to `room` when `users` virtual users are connected. */
export const socketsInRoom = (room: number, users: number, roomSize: number): number => Math.max(0, Math.min(roomSize, users - room * roomSize));

/** The pool account virtual user `vu` signs in as (the members of its room, in order). */
export const accountOfUser = (vu: number, poolSize: number): number => vu % poolSize;
