import t, { type Test } from 'tap';
import fc from 'fast-check';
import { chatServer } from '@chat/shared/testing/chat-server';
import { api } from '../blackbox/client';
import { finalCheck } from './final-check';
import { commandArbs } from './ws-commands';
import { World } from './world';

/*
 * A model-based test of the WebSocket protocol: four sockets of three users
 * (user 0 holds two) in two rooms run random command sequences (fast-check
 * commands, ws-commands.ts): subscribe with and without sinceSeq, unsubscribe,
 * sends new and repeated, bursts racing pipelined subscribes, twin sends of
 * one clientMsgId, typing, ping, malformed and oversized frames, disconnect
 * and reconnect with sinceSeq, auth frames after ready, frames before ready,
 * HTTP edits and deletes, members removed and added back. Each command is
 * checked against the model; every event stream as it arrives
 * (model-socket.ts: gapless, in order, no repeats, only while subscribed);
 * the server's timeline and messages at the end of each run (final-check.ts).
 * Users and rooms are fresh per run, so a run replays from its seed.
 *
 * FC_SEED replays, FC_NUM_RUNS sets the runs of the first property (the others
 * run fewer); FC_PATH replays the shrunk counterexample fast-check prints.
 */

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const numRuns = process.env.FC_NUM_RUNS ? Number(process.env.FC_NUM_RUNS) : 300;
const path = process.env.FC_PATH;
const env = { PASSWORD_HASH_LOG_N: '10' };

async function property(t: Test, serverEnv: Record<string, string>, runs: number, maxCommands: number, limited = false): Promise<void> {
  const server = chatServer('embedded', { ...env, ...serverEnv });
  t.teardown(() => server.stop());
  await server.start();
  const client = api(await server.baseUrl);
  const wsUrl = await server.wsUrl;
  const started = Date.now();
  t.comment(`seed ${seed} (replay: FC_SEED=${seed}${path ? ` FC_PATH=${path}` : ''}), ${runs} runs of up to ${maxCommands} commands`);
  let lastLog: string[] = [];
  let commandsRun = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands(commandArbs, { maxCommands, size: 'max' }), async (cmds) => {
      const setup = await World.create(client, wsUrl, limited);
      lastLog = setup.real.log;
      try {
        await fc.asyncModelRun(() => setup, cmds);
        await finalCheck(setup.model, setup.real);
      } finally {
        commandsRun += setup.real.log.length;
        setup.real.close();
      }
    }),
    { seed, numRuns: runs, ...(path ? { path } : {}), endOnFailure: false, includeErrorInReport: true, interruptAfterTimeLimit: 170_000 },
  ).catch((err) => {
    t.comment(`commands of the last run: ${lastLog.join('; ')}`);
    throw err;
  });
  t.pass(`${runs} runs, ${commandsRun} commands in ${Date.now() - started} ms`);
}

t.test('the protocol model holds (rate limits off)', (t) => property(t, { RATE_LIMIT_ENABLED: 'false' }, numRuns, 50));
// Replays of one small page at a time, slowly: replay and live events interleave more.
const slowReplays = { RATE_LIMIT_ENABLED: 'false', WS_REPLAY_PAGE_BYTES: '1024', WS_REPLAY_SOCKET_BYTES_PER_SECOND: '65536', WS_REPLAY_USER_READS: '1' };
t.test('the protocol model holds with small, slow replay pages', (t) => property(t, slowReplays, Math.max(1, Math.ceil(numRuns / 3)), 50));
// Rate limits on, the message bucket small: any send may be refused with RATE_LIMITED, and then creates nothing.
const smallBucket = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MESSAGES_BURST: '12', RATE_LIMIT_MESSAGES_PER_SECOND: '5' };
t.test('the protocol model holds with rate limits on and a small message bucket', (t) => property(t, smallBucket, Math.max(1, Math.ceil(numRuns / 4)), 40, true));
