import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CLIENT_FRAMES, type AuthFrame, type PingFrame, type SendFrame, type SubscribeFrame, type TypingFrame, type UnsubscribeFrame } from '@chat/shared/contract/ws-frames';
import { AppError, UnavailableError, ValidationError } from '@chat/shared/kernel/errors';
import { illFormedStringPath } from '@chat/shared/kernel/well-formed';

/**
 * A client frame as the hub takes it: only the schema's fields, a null
 * sinceSeq left out; send's clientMsgId and body still to go through the
 * domain rules (messageBody, clientMsgId), which word the contract's messages.
 */
export type ClientFrame =
  | AuthFrame
  | (Omit<SubscribeFrame, 'sinceSeq'> & { sinceSeq?: number })
  | UnsubscribeFrame
  | (Omit<SendFrame, 'clientMsgId' | 'body'> & { clientMsgId: unknown; body: unknown })
  | TypingFrame
  | PingFrame;

const CHECKS = new Map(Object.entries(CLIENT_FRAMES).map(([type, schema]) => [type, { fields: Object.keys(schema.properties), check: TypeCompiler.Compile(schema) }]));
/** Fields the schema describes but the domain rules judge (the hub applies them). */
const LEFT_TO_DOMAIN: Record<string, string[]> = { send: ['clientMsgId', 'body'] };
/** When several fields are wrong, the one named: the order the parser has always checked them in. */
const FIELD_ORDER = ['token', 'sinceSeq', 'roomId'];
const MESSAGE_OF: Record<string, string> = {
  token: 'token must be a non-empty string',
  roomId: 'roomId must be a non-empty string',
  sinceSeq: 'sinceSeq must be a non-negative integer',
};

/** Parses one text frame against its type's schema (shared/contract/ws-frames); anything malformed is a VALIDATION_FAILED naming the field. */
export function parseFrame(text: string): ClientFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    throw new ValidationError('frame is not valid JSON', 'frame');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) throw new ValidationError('frame must be a JSON object', 'frame');
  const f = frame as Record<string, unknown>;
  const illFormed = illFormedStringPath(f, 'frame');
  if (illFormed !== undefined) {
    const field = illFormed.split('.').slice(1).join('.') || 'frame';
    throw new ValidationError(`${field} must be well-formed Unicode text (no lone surrogates)`, field);
  }
  const type = typeof f.type === 'string' ? f.type : undefined;
  const schema = type === undefined ? undefined : CHECKS.get(type);
  if (type === undefined || schema === undefined) throw new ValidationError(`unknown frame type ${JSON.stringify(f.type)?.slice(0, 40)}`, 'type');
  const leftToDomain = LEFT_TO_DOMAIN[type] ?? [];
  if (!schema.check.Check(frame)) {
    const wrong = new Set([...schema.check.Errors(frame)].map((e) => e.path.split('/')[1] ?? 'frame').filter((field) => !leftToDomain.includes(field)));
    const field = [...FIELD_ORDER.filter((x) => wrong.has(x)), ...wrong][0];
    if (field !== undefined) throw new ValidationError(MESSAGE_OF[field] ?? `${field} is invalid`, field);
  }
  const parsed: Record<string, unknown> = {};
  for (const field of schema.fields) if (leftToDomain.includes(field) || (f[field] !== undefined && f[field] !== null)) parsed[field] = f[field];
  return parsed as ClientFrame;
}

/** The error frame answering a frame that failed: the contract's code (UNAVAILABLE for an outage, INTERNAL for a bug), naming the frame's room and clientMsgId. */
export function errorFrame(err: unknown, frame: ClientFrame | undefined, outage: boolean): object {
  const e = err instanceof AppError ? err : outage ? new UnavailableError('a dependency is unavailable, retry shortly') : undefined;
  const roomId = frame && 'roomId' in frame ? frame.roomId : undefined;
  const clientMsgId = frame?.type === 'send' && typeof frame.clientMsgId === 'string' ? frame.clientMsgId : undefined;
  return { type: 'error', code: e?.code ?? 'INTERNAL', message: e?.message ?? 'internal error', ...(roomId ? { roomId } : {}), ...(clientMsgId ? { clientMsgId } : {}) };
}
