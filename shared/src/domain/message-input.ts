import { ValidationError } from '@chat/shared/kernel/errors';
import { codePointLength, normalizeText } from '@chat/shared/kernel/text';

/** body: stored as sent (NFC); 1–4000 code points after trimming; whitespace-only is refused. */
export function messageBody(raw: unknown): string {
  if (typeof raw !== 'string') throw new ValidationError('body must be a string', 'body');
  const body = normalizeText(raw);
  const length = codePointLength(body.trim());
  if (length === 0) throw new ValidationError('body must not be empty or whitespace only', 'body');
  if (length > 4000) throw new ValidationError('body must be at most 4000 characters', 'body');
  return body;
}

export function clientMsgId(raw: unknown): string {
  if (typeof raw !== 'string') throw new ValidationError('clientMsgId must be a string', 'clientMsgId');
  const length = codePointLength(raw);
  if (length < 1 || length > 64) throw new ValidationError('clientMsgId must be 1–64 characters', 'clientMsgId');
  return raw;
}
