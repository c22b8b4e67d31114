// The message service's commands are routed by room (x-chat-room), so a load balancer hashing on the
// header gives each room one writer instance; a batch over several rooms becomes one call per room.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp } from '../src/http/service-app';
import { loadConfig } from '../src/kernel/config';
import { UnavailableError } from '../src/kernel/errors';
import type { RoomCommand, RoomCommandOutcome, RoomCommandResult, RoomCommands } from '../src/ports/room-commands';
import { ROOM_COMMANDS_RPC } from '../src/contract/rpc/room-ports';
import { roomCommandsClient } from '../src/rpc/room-commands-client';
import { exposeRpc, internalToken, ROUTE_HEADER } from '../src/rpc/rpc';

const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'rpc-')), JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' });
const token = internalToken(config.jwt.secret);
const post = (roomId: string, n: number): RoomCommand => ({ type: 'postMessage', actorId: 'u', roomId, clientMsgId: `c${n}`, body: `b${n}` });

/** A stand-in writer: records each call's route header and commands; room "down" fails its whole call. */
async function writerStandIn() {
  const calls: { route: string | undefined; rooms: string[] }[] = [];
  let route: string | undefined;
  const { app } = createServiceApp(config, 'message', () => ({}));
  app.addHook('onRequest', async (request) => void (route = request.headers[ROUTE_HEADER] as string | undefined));
  const answer = (c: RoomCommand): RoomCommandResult => ({ type: 'message', message: { id: 'clientMsgId' in c ? c.clientMsgId : 'x' } as never, created: true });
  exposeRpc<RoomCommands>(
    app,
    'room-commands',
    {
      execute: async (c: RoomCommand) => {
        calls.push({ route, rooms: ['roomId' in c ? c.roomId : 'new'] });
        return answer(c);
      },
      executeMany: async (cs: RoomCommand[]): Promise<RoomCommandOutcome[]> => {
        calls.push({ route, rooms: cs.map((c) => ('roomId' in c ? c.roomId : 'new')) });
        if (cs.some((c) => 'roomId' in c && c.roomId === 'down')) throw new UnavailableError('instance going away');
        return cs.map((c) => ({ result: answer(c) }));
      },
    },
    ROOM_COMMANDS_RPC,
    token,
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { calls, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

t.test('each call carries its room; a batch over rooms is one call per room, answers in the given order', async (t) => {
  const { calls, url } = await writerStandIn();
  const client = roomCommandsClient(url, token);
  await client.execute(post('r1', 0));
  await client.execute({ type: 'createRoom', actorId: 'u', roomType: 'group', name: 'n', memberIds: [] });
  t.same(calls.splice(0), [{ route: 'r1', rooms: ['r1'] }, { route: undefined, rooms: ['new'] }], 'execute: routed by its room; a new room by nothing');

  const batch = [post('r1', 1), post('r2', 2), post('r1', 3), post('r3', 4), post('r2', 5)];
  const outcomes = await client.executeMany(batch);
  t.same(outcomes.map((o) => ('result' in o && o.result.type === 'message' ? o.result.message.id : 'error')), ['c1', 'c2', 'c3', 'c4', 'c5'], 'answers in the order given');
  t.same(calls.map((c) => c.route).sort(), ['r1', 'r2', 'r3'], 'one call per room');
  for (const c of calls) t.ok(c.rooms.every((r) => r === c.route), `the ${c.route} call carries only its room's commands`);

  calls.splice(0);
  await client.executeMany([post('r9', 1), post('r9', 2)]);
  t.same(calls, [{ route: 'r9', rooms: ['r9', 'r9'] }], 'a batch of one room stays one call');
});

t.test("one room's call failing fails only that room's commands", async (t) => {
  const { url } = await writerStandIn();
  const outcomes = await roomCommandsClient(url, token).executeMany([post('r1', 1), post('down', 2), post('r1', 3)]);
  t.ok('result' in outcomes[0]! && 'result' in outcomes[2]!, 'the other room is answered');
  t.match(outcomes[1], { error: { code: 'UNAVAILABLE' } }, 'the failed room: UNAVAILABLE (a retry with the same clientMsgId is safe)');
});
