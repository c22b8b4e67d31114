import type { MemberView, MessageView, Role, RoomView } from '../events/timeline-events';
import type { ErrorCode } from '../kernel/errors';

/** Commands on a room aggregate. The room writer decides, numbers and stores them. */
export type RoomCommand =
  | { type: 'createRoom'; actorId: string; roomType: 'group' | 'direct'; name: string | null; memberIds: string[] }
  | { type: 'renameRoom'; actorId: string; roomId: string; name: string }
  | { type: 'deleteRoom'; actorId: string; roomId: string }
  | { type: 'addMember'; actorId: string; roomId: string; userId: string }
  | { type: 'changeRole'; actorId: string; roomId: string; userId: string; role: Exclude<Role, 'owner'> }
  | { type: 'removeMember'; actorId: string; roomId: string; userId: string }
  | { type: 'postMessage'; actorId: string; roomId: string; clientMsgId: string; body: string }
  | { type: 'editMessage'; actorId: string; roomId: string; messageId: string; body: string }
  | { type: 'deleteMessage'; actorId: string; roomId: string; messageId: string };

export type RoomCommandResult =
  | { type: 'room'; room: RoomView; created: boolean }
  | { type: 'member'; member: MemberView; created: boolean }
  | { type: 'message'; message: MessageView; created: boolean }
  | { type: 'done' };

/**
 * The write side of rooms. execute() resolves only after the resulting events
 * are durable (committed with their projections); it rejects with an AppError
 * (NotFound, Forbidden, Conflict, Validation) when the command is refused.
 */
export interface RoomCommands {
  execute(command: RoomCommand): Promise<RoomCommandResult>;
  /**
   * Several commands, queued in the given order (so one client's sends keep
   * their order), each answered on its own: one call for a batch, which is
   * one round trip when the writer is another process.
   */
  executeMany(commands: RoomCommand[]): Promise<RoomCommandOutcome[]>;
}

export type RoomCommandOutcome = { result: RoomCommandResult } | { error: { code: ErrorCode; message: string } };
