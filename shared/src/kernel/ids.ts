import { v7 as uuidv7 } from 'uuid';

export type IdGenerator = () => string;
export type Clock = () => Date;

/** UUIDv7: time-ordered, so primary keys insert at the end of the index. */
export const newId: IdGenerator = () => uuidv7();
export const systemClock: Clock = () => new Date();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}
