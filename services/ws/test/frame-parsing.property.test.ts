import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseFrame } from '../src/ws.frames';
import { parseFrameBeforeSchemas } from './support/frame-parser-before-schemas';

// Generated frames, near and across every limit: parseFrame answers exactly what the parser before the schemas answered.

const outcome = (parse: (text: string) => unknown, text: string) => {
  try {
    return { frame: parse(text) };
  } catch (err) {
    const e = err as { name: string; message: string; details?: unknown };
    return { error: e.name, message: e.message, details: e.details };
  }
};

const text = (max: number) => fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('x'.repeat(max), 'x'.repeat(max + 1), '😀'.repeat(max / 2 + 1), '', ' \t ', 'a\ud800'), fc.string({ unit: 'binary', maxLength: 6 }));
const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 3 }), fc.constant([1]), fc.constant({}));
const seq = fc.oneof(value, fc.nat(), fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53, -0));
const frame = fc.record(
  {
    type: fc.oneof(fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'send', 'typing', 'ping', 'teleport', 'toString', '__proto__'), value),
    token: fc.oneof(text(8192), value),
    roomId: fc.oneof(text(200), value),
    sinceSeq: seq,
    clientMsgId: fc.oneof(text(64), value),
    body: fc.oneof(text(4000), value),
    extra: value,
  },
  { requiredKeys: [] },
);

const same = (raw: string) => isDeepStrictEqual(outcome(parseFrame, raw), outcome(parseFrameBeforeSchemas, raw));

t.test('same answer as before for generated frames', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(frame, (f) => same(JSON.stringify(f))), { numRuns: 5000 }));
});

t.test('same answer as before for arbitrary JSON and text', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.oneof(fc.json(), fc.string()), same), { numRuns: 2000 }));
});
