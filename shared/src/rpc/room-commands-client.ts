import type { RoomCommand, RoomCommandOutcome, RoomCommandResult, RoomCommands } from '../ports/room-commands';
import { AppError } from '../kernel/errors';
import { rpcClient } from './rpc';

function failureOf(err: unknown): Extract<RoomCommandOutcome, { error: unknown }>['error'] {
  return err instanceof AppError ? { code: err.code, message: err.message } : { code: 'UNAVAILABLE', message: 'the message service is unavailable, retry' };
}

/** The room a command is routed by; a new room has none yet (any instance creates it). */
function routeOf(command: RoomCommand): string | undefined {
  return command.type === 'createRoom' ? undefined : command.roomId;
}

/**
 * RoomCommands of the message service over internal HTTP, each call routed
 * by its room (ROUTE_HEADER), so that a load balancer hashing on it sends a
 * room's commands to one instance: that instance's writer batches them in
 * one transaction (group commit) and keeps the room's state warm. A batch
 * spanning rooms is split into one call per room (in parallel), each room's
 * commands in their given order; the answers come back in the given order.
 */
export function roomCommandsClient(baseUrl: string, token: string): RoomCommands {
  const remote = rpcClient<RoomCommands>(baseUrl, 'room-commands', token, {
    routeKey: (method, args) => {
      if (method === 'execute') return routeOf(args[0] as RoomCommand);
      if (method === 'executeMany') return routeOf((args[0] as RoomCommand[])[0]!);
      return undefined;
    },
  });
  return {
    execute: (command: RoomCommand): Promise<RoomCommandResult> => remote.execute(command),
    async executeMany(commands: RoomCommand[]): Promise<RoomCommandOutcome[]> {
      const byRoute = new Map<string | undefined, number[]>();
      commands.forEach((c, i) => {
        const key = routeOf(c);
        const list = byRoute.get(key);
        if (list) list.push(i);
        else byRoute.set(key, [i]);
      });
      if (byRoute.size <= 1) return remote.executeMany(commands);
      const outcomes = new Array<RoomCommandOutcome>(commands.length);
      await Promise.all(
        [...byRoute.values()].map(async (indexes) => {
          // One room's call failing (its instance died mid-call) fails only that room's commands.
          const answers = await remote.executeMany(indexes.map((i) => commands[i]!)).catch((err: unknown) => indexes.map(() => ({ error: failureOf(err) })));
          indexes.forEach((i, k) => (outcomes[i] = answers[k]!));
        }),
      );
      return outcomes;
    },
  };
}
