import { Type } from '@sinclair/typebox';

/** The largest seq: JSON numbers are exact integers up to 2^53 - 1. */
export const MAX_SEQ = 2 ** 53 - 1;

/** A position in a room's timeline (0: before the first event). */
export const Seq = Type.Integer({ minimum: 0, maximum: MAX_SEQ });
