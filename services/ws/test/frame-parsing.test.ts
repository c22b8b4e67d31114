import t from 'tap';
import { ValidationError } from '@chat/shared/kernel/errors';
import { parseFrame } from '../src/ws.frames';

// What parseFrame accepts (and what it hands on), and what it refuses with a ValidationError naming the field.

const j = (frame: unknown) => JSON.stringify(frame);
const long = (n: number) => 'x'.repeat(n);

const accepted: Array<[string, string, object]> = [
  ['auth', j({ type: 'auth', token: 't.k.n' }), { type: 'auth', token: 't.k.n' }],
  ['auth, token of 8192', j({ type: 'auth', token: long(8192) }), { type: 'auth', token: long(8192) }],
  ['subscribe without sinceSeq', j({ type: 'subscribe', roomId: 'r' }), { type: 'subscribe', roomId: 'r' }],
  ['subscribe, sinceSeq 0', j({ type: 'subscribe', roomId: 'r', sinceSeq: 0 }), { type: 'subscribe', roomId: 'r', sinceSeq: 0 }],
  ['subscribe, sinceSeq null is left out', j({ type: 'subscribe', roomId: 'r', sinceSeq: null }), { type: 'subscribe', roomId: 'r' }],
  ['subscribe, sinceSeq largest safe integer', j({ type: 'subscribe', roomId: 'r', sinceSeq: Number.MAX_SAFE_INTEGER }), { type: 'subscribe', roomId: 'r', sinceSeq: Number.MAX_SAFE_INTEGER }],
  ['subscribe, sinceSeq 3.0 is an integer', '{"type":"subscribe","roomId":"r","sinceSeq":3.0}', { type: 'subscribe', roomId: 'r', sinceSeq: 3 }],
  ['subscribe, roomId of 200', j({ type: 'subscribe', roomId: long(200) }), { type: 'subscribe', roomId: long(200) }],
  ['unsubscribe', j({ type: 'unsubscribe', roomId: 'r' }), { type: 'unsubscribe', roomId: 'r' }],
  ['send', j({ type: 'send', roomId: 'r', clientMsgId: 'c', body: 'hi' }), { type: 'send', roomId: 'r', clientMsgId: 'c', body: 'hi' }],
  // clientMsgId and body go on to the domain rules (messageBody, clientMsgId), which word the contract's messages.
  ['send, body of the wrong type is handed on', j({ type: 'send', roomId: 'r', clientMsgId: 'c', body: 5 }), { type: 'send', roomId: 'r', clientMsgId: 'c', body: 5 }],
  ['send, whitespace body is handed on', j({ type: 'send', roomId: 'r', clientMsgId: 'c', body: '  ' }), { type: 'send', roomId: 'r', clientMsgId: 'c', body: '  ' }],
  ['send, clientMsgId missing is handed on', j({ type: 'send', roomId: 'r', body: 'b' }), { type: 'send', roomId: 'r', clientMsgId: undefined, body: 'b' }],
  ['send, clientMsgId too long is handed on', j({ type: 'send', roomId: 'r', clientMsgId: long(65), body: 'b' }), { type: 'send', roomId: 'r', clientMsgId: long(65), body: 'b' }],
  ['typing', j({ type: 'typing', roomId: 'r' }), { type: 'typing', roomId: 'r' }],
  ['ping', j({ type: 'ping' }), { type: 'ping' }],
  ['extra fields are ignored (and not handed on)', j({ type: 'subscribe', roomId: 'r', sinceSeq: 1, extra: { deep: [1] }, x: null }), { type: 'subscribe', roomId: 'r', sinceSeq: 1 }],
  ['ping with extra fields', j({ type: 'ping', roomId: 5 }), { type: 'ping' }],
  ['surrogate pairs are well-formed', j({ type: 'typing', roomId: '😀' }), { type: 'typing', roomId: '😀' }],
];

const refused: Array<[string, string, string, string]> = [
  ['not JSON', '{not json', 'frame', 'frame is not valid JSON'],
  ['empty text', '', 'frame', 'frame is not valid JSON'],
  ['array', '[]', 'frame', 'frame must be a JSON object'],
  ['string', '"str"', 'frame', 'frame must be a JSON object'],
  ['null', 'null', 'frame', 'frame must be a JSON object'],
  ['number', '42', 'frame', 'frame must be a JSON object'],
  ['unknown type', j({ type: 'teleport' }), 'type', 'unknown frame type "teleport"'],
  ['no type', j({ notype: true }), 'type', 'unknown frame type undefined'],
  ['type of the wrong type', j({ type: 5 }), 'type', 'unknown frame type 5'],
  ['type from the prototype', j({ type: 'toString' }), 'type', 'unknown frame type "toString"'],
  ['type __proto__', '{"type":"__proto__"}', 'type', 'unknown frame type "__proto__"'],
  ['long unknown type is cut', j({ type: long(100) }), 'type', `unknown frame type "${long(39)}`],
  ['auth without token', j({ type: 'auth' }), 'token', 'token must be a non-empty string'],
  ['auth, empty token', j({ type: 'auth', token: '' }), 'token', 'token must be a non-empty string'],
  ['auth, token of 8193', j({ type: 'auth', token: long(8193) }), 'token', 'token must be a non-empty string'],
  ['auth, token a number', j({ type: 'auth', token: 5 }), 'token', 'token must be a non-empty string'],
  ['subscribe without roomId', j({ type: 'subscribe' }), 'roomId', 'roomId must be a non-empty string'],
  ['subscribe, roomId a number', j({ type: 'subscribe', roomId: 5 }), 'roomId', 'roomId must be a non-empty string'],
  ['subscribe, roomId null', j({ type: 'subscribe', roomId: null }), 'roomId', 'roomId must be a non-empty string'],
  ['subscribe, roomId empty', j({ type: 'subscribe', roomId: '' }), 'roomId', 'roomId must be a non-empty string'],
  ['subscribe, roomId of 201', j({ type: 'subscribe', roomId: long(201) }), 'roomId', 'roomId must be a non-empty string'],
  ['subscribe, sinceSeq a string', j({ type: 'subscribe', roomId: 'r', sinceSeq: 'abc' }), 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['subscribe, sinceSeq -1', j({ type: 'subscribe', roomId: 'r', sinceSeq: -1 }), 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['subscribe, sinceSeq 1.5', j({ type: 'subscribe', roomId: 'r', sinceSeq: 1.5 }), 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['subscribe, sinceSeq past safe integers', j({ type: 'subscribe', roomId: 'r', sinceSeq: 2 ** 53 }), 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['subscribe, sinceSeq 1e400', '{"type":"subscribe","roomId":"r","sinceSeq":1e400}', 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['subscribe, sinceSeq a boolean', j({ type: 'subscribe', roomId: 'r', sinceSeq: true }), 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['subscribe, sinceSeq an array', j({ type: 'subscribe', roomId: 'r', sinceSeq: [1] }), 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['subscribe, bad sinceSeq and no roomId: sinceSeq is named', j({ type: 'subscribe', sinceSeq: -1 }), 'sinceSeq', 'sinceSeq must be a non-negative integer'],
  ['unsubscribe without roomId', j({ type: 'unsubscribe' }), 'roomId', 'roomId must be a non-empty string'],
  ['send without roomId', j({ type: 'send', clientMsgId: 'c', body: 'b' }), 'roomId', 'roomId must be a non-empty string'],
  ['send, roomId an object', j({ type: 'send', roomId: {}, clientMsgId: 'c', body: 'b' }), 'roomId', 'roomId must be a non-empty string'],
  ['typing, roomId of 201', j({ type: 'typing', roomId: long(201) }), 'roomId', 'roomId must be a non-empty string'],
  ['lone surrogate in a value', '{"type":"send","roomId":"r","clientMsgId":"c","body":"a\\ud800"}', 'body', 'body must be well-formed Unicode text (no lone surrogates)'],
  ['lone surrogate in an unknown field, checked before the type', '{"type":"nope","x":{"y":"\\udc00"}}', 'x.y', 'x.y must be well-formed Unicode text (no lone surrogates)'],
  ['lone surrogate in a key', '{"type":"ping","\\ud800":1}', 'frame', 'frame must be well-formed Unicode text (no lone surrogates)'],
];

t.test('accepted frames, as handed on', async (t) => {
  for (const [name, text, frame] of accepted) t.strictSame(parseFrame(text), frame, name);
});

t.test('refused frames: a ValidationError naming the field', async (t) => {
  for (const [name, text, field, message] of refused) {
    let caught: unknown;
    try {
      parseFrame(text);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ValidationError, `${name}: ValidationError`);
    t.match(caught, { code: 'VALIDATION_FAILED', message, details: { field } }, name);
  }
});
