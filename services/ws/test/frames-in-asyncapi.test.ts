import t from 'tap';
import { schemaCheck } from '@chat/shared/testing/json-schema-check';
import { asyncApiDocument } from '@chat/shared/contract/asyncapi';
import { SERVER_FRAMES } from '@chat/shared/contract/ws-frames';
import type { RoomCommands } from '@chat/shared/ports/room-commands';
import { parseFrame } from '../src/ws.frames';
import { sleep, wsFixture } from './support/ws-fixture';

// The AsyncAPI document against the server: the client frames it lists are the ones parseFrame accepts,
// and every frame the hub sends is a server frame of the document that fits its payload schema.


type Message = { payload: { properties: { type: { const: string } } }; examples: Array<{ payload: unknown }> };
type Doc = { operations: Record<string, { action: string; messages: Array<{ $ref: string }> }>; components: { messages: Record<string, Message> } };
const doc = asyncApiDocument() as Doc;
const messagesOf = (action: string) => Object.values(doc.operations).filter((o) => o.action === action).flatMap((o) => o.messages.map((m) => doc.components.messages[m.$ref.split('/').pop()!]!));

t.test('parseFrame accepts exactly the client frame types of the document, and each example', async (t) => {
  const received = messagesOf('receive');
  const documented = received.map((m) => m.payload.properties.type.const);
  for (const m of received) t.doesNotThrow(() => parseFrame(JSON.stringify(m.examples[0]!.payload)), `example of ${m.payload.properties.type.const}`);
  const candidates = [...documented, ...messagesOf('send').map((m) => m.payload.properties.type.const), 'teleport', 'notification', 'edit', 'read'];
  const accepted = candidates.filter((type) => {
    try {
      parseFrame(JSON.stringify({ type }));
      return true;
    } catch (err) {
      return (err as { details?: { field?: string } }).details?.field !== 'type';
    }
  });
  t.same([...new Set(accepted)].sort(), [...documented].sort());
});

t.test('every frame the hub sends in a session is a documented server frame that fits its schema', async (t) => {
  const commands: RoomCommands = {
    execute: async () => ({ type: 'done' }),
    executeMany: async (cs) =>
      cs.map((c) =>
        c.type === 'postMessage' && c.body !== 'refuse'
          ? { result: { type: 'message', created: true, message: { id: `m-${c.clientMsgId}`, roomId: c.roomId, seq: 99, senderId: c.actorId, clientMsgId: c.clientMsgId, body: c.body, createdAt: new Date().toISOString(), editedAt: null, deleted: false } } }
          : { error: { code: 'FORBIDDEN' as const, message: 'not allowed' } },
      ),
  };
  const f = await wsFixture(t, {}, { commands });
  f.rooms.create('r', ['u', 'v']);
  const post = (seq: number) => f.rooms.append('r', { type: 'message.posted', message: { id: `m${seq}`, roomId: 'r', seq, senderId: 'v', clientMsgId: `c${seq}`, body: 'hi', createdAt: new Date().toISOString(), editedAt: null, deleted: false } });
  await post(1);
  await f.rooms.append('r', { type: 'member.joined', member: { userId: 'w', role: 'member', joinedAt: new Date().toISOString() } });

  const u = await f.connect('u');
  u.send({ type: 'ping' });
  await u.subscribe('r', 0);
  const v = await f.connect('v'); // u hears v come online
  await v.subscribe('r');
  v.send({ type: 'typing', roomId: 'r' });
  await u.next((x) => x.type === 'typing');
  await u.sendMessage('r', 'a1', 'hello');
  u.send({ type: 'send', roomId: 'r', clientMsgId: 'a2', body: 'refuse' });
  await u.next((x) => x.type === 'error' && x.code === 'FORBIDDEN');
  u.send({ type: 'subscribe', roomId: 'r', sinceSeq: -1 });
  await u.next((x) => x.type === 'error' && x.code === 'VALIDATION_FAILED');
  await post(3);
  await f.bus.publish([{ id: 'n1', type: 'notification.created', version: 1, key: 'u', occurredAt: new Date().toISOString(), payload: { userId: 'u', notification: { id: 'n1', kind: 'mention', roomId: 'r', messageId: 'm3', seq: 3, actorId: 'v', createdAt: new Date().toISOString() } } }]);
  await u.next((x) => x.type === 'notification');
  u.send({ type: 'unsubscribe', roomId: 'r' });
  await u.next((x) => x.type === 'unsubscribed');
  await u.subscribe('r');
  await f.rooms.append('r', { type: 'member.left', userId: 'u' });
  await u.next((x) => x.type === 'unsubscribed' && x.reason === 'removed');
  await sleep(100);

  // The document's payloads are these schemas (shared/test/asyncapi.test.ts).
  const documented = new Set(messagesOf('send').map((m) => m.payload.properties.type.const));
  const schemaOf = new Map(Object.values(SERVER_FRAMES).map((schema) => [schema.properties.type.const as string, schemaCheck(schema)]));
  const frames = [...u.received, ...v.received];
  for (const frame of frames) {
    const check = schemaOf.get(String(frame.type));
    t.ok(documented.has(String(frame.type)) && check, `${frame.type} is a server frame of the document`);
    if (check) t.same(check(frame), [], `${JSON.stringify(frame).slice(0, 120)} fits`);
  }
  t.same([...new Set(frames.map((x) => x.type))].sort(), [...documented].sort(), 'the session met every server frame type of the document');
});
