// The frame parser as it was before the TypeBox schemas (commit 0ef6ca9), kept as the oracle the schema-driven parser must agree with.
import { ValidationError } from '@chat/shared/kernel/errors';
import { illFormedStringPath } from '@chat/shared/kernel/well-formed';

type ClientFrame =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; roomId: string; sinceSeq?: number }
  | { type: 'unsubscribe'; roomId: string }
  | { type: 'send'; roomId: string; clientMsgId: unknown; body: unknown }
  | { type: 'typing'; roomId: string }
  | { type: 'ping' };

function str(frame: Record<string, unknown>, field: string, max = 200): string {
  const v = frame[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new ValidationError(`${field} must be a non-empty string`, field);
  return v;
}

/** Parses one text frame; anything malformed is a VALIDATION_FAILED naming the field. */
export function parseFrameBeforeSchemas(text: string): ClientFrame {
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
  switch (f.type) {
    case 'auth':
      return { type: 'auth', token: str(f, 'token', 8192) };
    case 'subscribe': {
      const sinceSeq = f.sinceSeq;
      if (sinceSeq !== undefined && sinceSeq !== null && (typeof sinceSeq !== 'number' || !Number.isSafeInteger(sinceSeq) || sinceSeq < 0)) {
        throw new ValidationError('sinceSeq must be a non-negative integer', 'sinceSeq');
      }
      return { type: 'subscribe', roomId: str(f, 'roomId'), ...(typeof sinceSeq === 'number' ? { sinceSeq } : {}) };
    }
    case 'unsubscribe':
      return { type: 'unsubscribe', roomId: str(f, 'roomId') };
    case 'send':
      return { type: 'send', roomId: str(f, 'roomId'), clientMsgId: f.clientMsgId, body: f.body };
    case 'typing':
      return { type: 'typing', roomId: str(f, 'roomId') };
    case 'ping':
      return { type: 'ping' };
    default:
      throw new ValidationError(`unknown frame type ${JSON.stringify(f.type)?.slice(0, 40)}`, 'type');
  }
}
