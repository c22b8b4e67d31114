// The four scenarios. Each sets up users, rooms and sockets through the system's
// API, then drives load open-loop: message i has an intended send time
// t0 + i/rate and every latency is measured from that time, so a slow server
// (or a slow generator) cannot hide latency by delaying the sends.
import { LoadStats, instrument, type SubscriberCheck } from './stats';
import { nowMs } from './latency';
import { scrapeGauge } from './proc';
import type { ClientConn, SystemUnderTest, UserRef } from './types';

export type ScenarioName = 'rooms' | 'big-room' | 'idle' | 'write-path';

export interface ScenarioConfig {
  readonly scenario: ScenarioName;
  readonly rooms: number;
  readonly members: number;
  /** Total messages per second, open loop. For "max rate", ask for more than the server can take and read the ack rate. */
  readonly rate: number;
  readonly durationS: number;
  readonly via: 'ws' | 'http';
  /** Senders per room (members that send), rooms/big-room. */
  readonly sendersPerRoom: number;
  /** idle: number of sockets. */
  readonly sockets: number;
  /** Distinct users behind `sockets` (idle) or the rooms (write-path); sockets share users. */
  readonly users: number;
  readonly connectRate: number;
}

export interface ScenarioOutcome {
  readonly stats: LoadStats;
  readonly connections: number;
  readonly expectedDeliveries: number;
  readonly persisted?: number;
  readonly heap?: { beforeBytes: number; afterBytes: number; perSocketBytes: number };
  readonly setupSeconds: number;
  readonly loadSeconds: number;
  readonly notes: string[];
}

const log = (msg: string): void => console.error(`[runner] ${msg}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Users are expensive to register (password hashing): keep them per system for the whole run. */
const userPools = new WeakMap<SystemUnderTest, UserRef[]>();
/** The first `n` users of the system's pool, registering more when the pool is short. */
export async function users(sut: SystemUnderTest, n: number): Promise<UserRef[]> {
  const pool = userPools.get(sut) ?? [];
  if (pool.length < n) {
    const t0 = Date.now();
    log(`${sut.name}: registering ${n - pool.length} users`);
    pool.push(...(await sut.createUsers(n - pool.length, (d) => log(`  ${d} users`))));
    log(`${sut.name}: users ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    userPools.set(sut, pool);
  }
  return pool.slice(0, n);
}

/** Opens one socket per entry at `rate`/s (a ramp), with bounded concurrency. */
async function connectAll(sut: SystemUnderTest, who: readonly UserRef[], rate: number, stats: LoadStats): Promise<ClientConn[]> {
  const conns = new Array<ClientConn>(who.length);
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(64, who.length) }, async () => {
      while (next < who.length) {
        const i = next++;
        const due = t0 + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const started = nowMs();
        for (let attempt = 0; ; attempt++) {
          try {
            conns[i] = await sut.connect(who[i]!);
            break;
          } catch (err) {
            if (attempt >= 2) {
              failed++;
              stats.error(`connect:${(err as Error).message.slice(0, 60)}`);
              throw err;
            }
            await sleep(200);
          }
        }
        stats.connect.record(nowMs() - started);
        if ((i + 1) % 1000 === 0) log(`  ${i + 1} sockets`);
      }
    }),
  );
  if (failed) log(`${failed} sockets failed`);
  return conns;
}

/** Sends message `i` (already stamped with its intended time in `body`) to `roomId`. */
export interface Sender {
  send(i: number, roomId: string, body: string): void;
}

/**
 * Sends `rate` msgs/s for `durationS`, message i to room `roomOf(i)` from
 * `senderOf(i)`, each body `{"t":<intended epoch ms>,"id":i}`. Bounded by count
 * and time: it always stops after durationS.
 */
export async function openLoop(stats: LoadStats, rate: number, durationS: number, roomOf: (i: number) => string, sender: Sender): Promise<void> {
  const total = Math.floor(rate * durationS);
  // The first second (at most 10% of the run) warms up JIT and sockets; its latencies are not recorded.
  stats.measureFrom = Math.floor(rate * Math.min(1, durationS / 10));
  stats.intended = new Float64Array(total);
  const t0 = performance.now() + 20;
  const origin = performance.timeOrigin;
  // An overloaded server must not be left with minutes of queued work for the next
  // scenario: stop offering load once 2 s worth of messages are unanswered.
  const backlogCap = Math.max(1000, rate * 2);
  let i = 0;
  while (i < total) {
    const now = performance.now();
    if (stats.sent - stats.acked - stats.errorCount() > backlogCap) {
      stats.abortedAtS = (now - t0) / 1000;
      break;
    }
    const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
    for (; i < due; i++) {
      const intended = t0 + (i * 1000) / rate;
      stats.intended[i] = origin + intended;
      stats.sendLag.record(now - intended);
      if (stats.sent++ === 0) stats.firstSendAt = performance.now();
      sender.send(i, roomOf(i), `{"t":${origin + intended},"id":${i}}`);
    }
    if (now - t0 > durationS * 1000 + 5000) break;
    await sleep(1);
  }
}

/** Waits until everything sent is acked and delivered, or `maxMs` passes. */
export async function drain(stats: LoadStats, expectedPerMsg: (acked: number) => number, maxMs: number): Promise<void> {
  let end = Date.now() + maxMs;
  while (Date.now() < end && stats.acked + stats.errorCount() < stats.sent) await sleep(50);
  // Then give what was acked time to reach every subscriber.
  end = Date.now() + maxMs;
  while (Date.now() < end && stats.delivered < expectedPerMsg(stats.acked)) await sleep(50);
}

function wsOrHttpSender(cfg: ScenarioConfig, sut: SystemUnderTest, stats: LoadStats, connOf: (i: number) => ClientConn, userOf: (i: number) => UserRef): Sender {
  if (cfg.via === 'http') {
    if (!sut.sendHttp) throw new Error(`${sut.name} has no HTTP send`);
    const sendHttp = sut.sendHttp.bind(sut);
    return {
      send(i, roomId, body) {
        const id = `${stats.tag}-${i}`;
        sendHttp(userOf(i), roomId, id, body).then(
          (seq) => stats.noteAck(roomId, id, seq),
          (err: Error) => stats.error(`http:${err.message.slice(0, 40)}`),
        );
      },
    };
  }
  return { send: (i, roomId, body) => connOf(i).send(roomId, `${stats.tag}-${i}`, body) };
}

async function heapNow(sut: SystemUnderTest): Promise<number | undefined> {
  if (!sut.metricsUrl) return undefined;
  // Heap used swings with garbage; the lowest of a few readings is the live set's best estimate.
  let min: number | undefined;
  for (let k = 0; k < 5; k++) {
    const v = await scrapeGauge(sut.metricsUrl, 'nodejs_heap_size_used_bytes');
    if (v !== undefined) min = min === undefined ? v : Math.min(min, v);
    await sleep(600);
  }
  return min;
}

export async function runScenario(
  sut: SystemUnderTest,
  cfg: ScenarioConfig,
  monitorStart: () => void,
  statsRef: { current: LoadStats },
): Promise<ScenarioOutcome> {
  const stats = new LoadStats();
  statsRef.current = stats;
  stats.tag = `lt${Date.now().toString(36)}`;
  const notes: string[] = [];
  const setupStart = performance.now();
  let conns: ClientConn[] = [];
  let checks: SubscriberCheck[] = [];
  let expectedPerMsg = (_acked: number): number => 0;
  let sender: Sender;
  let roomOf: (i: number) => string;
  let heap: ScenarioOutcome['heap'];
  let persisted: number | undefined;
  let persistCheck: (() => Promise<number | undefined>) | undefined;

  if (cfg.scenario === 'rooms' || cfg.scenario === 'big-room') {
    const nRooms = cfg.scenario === 'big-room' ? 1 : cfg.rooms;
    const slots = nRooms * cfg.members;
    // Registration hashes a password (scrypt, ~0.4 s of CPU): a pool of users fills the
    // member slots round-robin. Members of one room stay distinct while members <= pool.
    const pool = await users(sut, Math.min(slots, cfg.users > 0 ? cfg.users : slots));
    const all = Array.from({ length: slots }, (_, k) => pool[k % pool.length]!);
    const roomIds: string[] = [];
    for (let r = 0; r < nRooms; r++) {
      const members = [...new Set(all.slice(r * cfg.members, (r + 1) * cfg.members))];
      roomIds.push(await sut.createRoom(members[0]!, members.slice(1), `load ${cfg.scenario} ${r}`));
    }
    if (pool.length < cfg.members) notes.push(`${cfg.members} subscribed sockets per room come from ${pool.length} distinct members (${Math.ceil(cfg.members / pool.length)} sockets each)`);
    else if (pool.length < slots) notes.push(`${slots} member slots are filled by ${pool.length} users round-robin (each user is in ${Math.ceil(slots / pool.length)} rooms, one socket per membership)`);
    log(`${nRooms} rooms × ${cfg.members} members created; connecting ${all.length} sockets`);
    conns = await connectAll(sut, all, cfg.connectRate, stats);
    roomOf = (i) => roomIds[i % nRooms]!;
    checks = conns.map((c) => instrument(c, stats, roomOf));
    await Promise.all(conns.map(async (c, k) => checks[k]!.subscribed(roomIds[Math.floor(k / cfg.members)]!, await c.subscribe(roomIds[Math.floor(k / cfg.members)]!))));
    log('every socket subscribed; sending starts');
    const senders = Math.max(1, Math.min(cfg.sendersPerRoom, cfg.members));
    // Message i goes to room i % nRooms from the room's sender number (i / nRooms) % senders.
    const memberIndex = (i: number): number => (i % nRooms) * cfg.members + (Math.floor(i / nRooms) % senders);
    sender = wsOrHttpSender(cfg, sut, stats, (i) => conns[memberIndex(i)]!, (i) => all[memberIndex(i)]!);
    expectedPerMsg = (acked) => acked * cfg.members;
  } else if (cfg.scenario === 'idle') {
    const pool = await users(sut, Math.min(cfg.users, cfg.sockets));
    const roomSize = 10;
    const roomIds: string[] = [];
    for (let r = 0; r * roomSize < pool.length; r++) {
      const members = pool.slice(r * roomSize, (r + 1) * roomSize);
      roomIds.push(await sut.createRoom(members[0]!, members.slice(1), `idle ${r}`));
    }
    const before = await heapNow(sut);
    const who = Array.from({ length: cfg.sockets }, (_, k) => pool[k % pool.length]!);
    log(`idle: heap before ${before}; opening ${cfg.sockets} sockets over ${pool.length} users`);
    monitorStart();
    conns = await connectAll(sut, who, cfg.connectRate, stats);
    roomOf = () => '';
    checks = conns.map((c) => instrument(c, stats, roomOf));
    await Promise.all(conns.map(async (c, k) => {
      const roomId = roomIds[Math.floor((k % pool.length) / roomSize)]!;
      checks[k]!.subscribed(roomId, await c.subscribe(roomId));
    }));
    await sleep(Math.max(3000, cfg.durationS * 1000));
    const after = await heapNow(sut);
    if (before !== undefined && after !== undefined) heap = { beforeBytes: before, afterBytes: after, perSocketBytes: (after - before) / cfg.sockets };
    notes.push(`${cfg.sockets} sockets share ${pool.length} users (${Math.round(cfg.sockets / pool.length)} sockets per user), each subscribed to its user's room of ${roomSize}`);
    sender = { send: () => undefined };
  } else {
    // write-path: rooms of 2 over a pool of users; senders are not subscribed, so the work is the write.
    const pool = await users(sut, Math.max(2, Math.min(cfg.users, cfg.rooms * 2)));
    const P = pool.length;
    const owners: number[] = [];
    const roomIds: string[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let j = w; j < cfg.rooms; j += 16) {
          const o = j % P;
          const m = (o + 1 + (Math.floor(j / P) % (P - 1))) % P;
          owners[j] = o;
          roomIds[j] = await sut.createRoom(pool[o]!, [pool[m]!], `write ${j}`);
        }
      }),
    );
    log(`${cfg.rooms} rooms of 2 in ${((Date.now() - started) / 1000).toFixed(1)} s; connecting ${P} senders`);
    conns = cfg.via === 'ws' ? await connectAll(sut, pool, cfg.connectRate, stats) : [];
    roomOf = (i) => roomIds[i % cfg.rooms]!;
    checks = conns.map((c) => instrument(c, stats, roomOf));
    sender = wsOrHttpSender(cfg, sut, stats, (i) => conns[owners[i % cfg.rooms]!]!, (i) => pool[owners[i % cfg.rooms]!]!);
    if (sut.storedMessages) {
      const stored = sut.storedMessages.bind(sut);
      persistCheck = async () => {
        const byOwner = new Map<number, string[]>();
        roomIds.forEach((id, j) => byOwner.set(owners[j]!, [...(byOwner.get(owners[j]!) ?? []), id]));
        let n = 0;
        for (const [o, ids] of byOwner) n += await stored(pool[o]!, ids);
        return n;
      };
    }
  }
  const setupSeconds = (performance.now() - setupStart) / 1000;

  const loadStart = performance.now();
  if (cfg.scenario !== 'idle') {
    monitorStart();
    await openLoop(stats, cfg.rate, cfg.durationS, roomOf, sender);
    await drain(stats, expectedPerMsg, 10_000);
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  if (stats.abortedAtS !== undefined) notes.push(`overloaded: sending stopped after ${stats.abortedAtS.toFixed(1)} s, when ${Math.max(1000, cfg.rate * 2)} messages were waiting for their ack`);
  for (const c of checks) stats.undeliveredAtClose += c.tailLoss();
  if (persistCheck) persisted = await persistCheck();
  stats.closing = true;
  for (const c of conns) c.close();
  return { stats, connections: conns.length, expectedDeliveries: expectedPerMsg(stats.acked), persisted, heap, setupSeconds, loadSeconds, notes };
}
