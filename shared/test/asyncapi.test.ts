import t from 'tap';
import { schemaCheck } from '../src/testing/json-schema-check';
import { Parser } from '@asyncapi/parser';
import type { TSchema } from '@sinclair/typebox';
import { asyncApiDocument } from '../src/contract/asyncapi';
import type { Member, Message, Room, TimelineEvent } from '../src/contract/objects';
import { CLIENT_FRAMES, SERVER_FRAMES } from '../src/contract/ws-frames';
import type { MemberView, MessageView, RoomView, TimelineEvent as DomainEvent } from '../src/events/timeline-events';


type Doc = {
  channels: { ws: { address: string; messages: Record<string, { $ref: string }> } };
  operations: Record<string, { action: string; channel: { $ref: string }; messages: Array<{ $ref: string }> }>;
  components: { messages: Record<string, { payload: { properties: { type: { const: string } } }; examples: Array<{ payload: unknown }> }>; securitySchemes: Record<string, object> };
  servers: Record<string, { host: string; protocol: string; security: Array<{ $ref: string }> }>;
  info: { title: string; version: string; description: string };
};
const doc = asyncApiDocument() as Doc;
const typeOf = (schema: TSchema): string => schema.properties.type.const;
/** The message a `#/channels/ws/messages/<name>` reference of an operation names, through the channel to the component. */
const messageOf = (ref: string) => {
  const name = ref.replace('#/channels/ws/messages/', '');
  return doc.components.messages[doc.channels.ws.messages[name]!.$ref.replace('#/components/messages/', '')]!;
};
const typesOf = (action: string) =>
  Object.values(doc.operations)
    .filter((o) => o.action === action)
    .flatMap((o) => o.messages.map((m) => messageOf(m.$ref).payload.properties.type.const))
    .sort();

t.test('@asyncapi/parser: a valid AsyncAPI 3.0.0 document, no errors', async (t) => {
  const parser = new Parser();
  const diagnostics = await parser.validate(doc as never);
  t.same(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`), [], 'no error diagnostics');
  const { document } = await parser.parse(doc as never);
  t.ok(document, 'parsed');
  t.equal(document!.version(), '3.0.0');
  t.same(document!.channels().all().map((c) => c.address()), ['/v1/ws']);
});

t.test('the parser does report a broken payload schema (the check above can fail)', async (t) => {
  const broken = asyncApiDocument() as Doc;
  (broken.components.messages.subscribe!.payload.properties as Record<string, unknown>).roomId = { type: 'string', maxLength: 'two hundred' };
  const diagnostics = await new Parser().validate(broken as never);
  t.ok(diagnostics.some((d) => d.severity === 0 && d.path.join('.').endsWith('roomId.maxLength')), 'error at roomId.maxLength');
});

t.test('every client frame is a message the server receives, every server frame one it sends', async (t) => {
  t.same(typesOf('receive'), Object.values(CLIENT_FRAMES).map(typeOf).sort());
  t.same(typesOf('send'), Object.values(SERVER_FRAMES).map(typeOf).sort());
  t.same(typesOf('receive'), ['auth', 'ping', 'send', 'subscribe', 'typing', 'unsubscribe']);
  t.same(typesOf('send'), ['ack', 'error', 'event', 'notification', 'pong', 'presence', 'ready', 'subscribed', 'typing', 'unsubscribed']);
  for (const o of Object.values(doc.operations)) t.equal(o.channel.$ref, '#/channels/ws');
});

t.test('each payload is its TypeBox schema as plain JSON Schema, with an example that fits it', async (t) => {
  t.same(JSON.parse(JSON.stringify(doc)), doc, 'plain JSON: no symbol keys, nothing undefined');
  for (const [name, schema] of [...Object.entries(CLIENT_FRAMES), ...Object.entries(SERVER_FRAMES)]) {
    const message = doc.components.messages[name]!;
    t.same(message.payload, JSON.parse(JSON.stringify(schema)), `${name}: payload is the schema`);
    t.equal(message.examples.length, 1, `${name}: an example`);
    t.same(schemaCheck(schema)(message.examples[0]!.payload), [], `${name}: the example fits`);
  }
});

t.test('the schemas in the document carry the limits the server enforces', async (t) => {
  const props = (name: string) => doc.components.messages[name]!.payload.properties as unknown as Record<string, Record<string, unknown>>;
  t.match(props('auth').token, { type: 'string', minLength: 1, maxLength: 8192 });
  for (const name of ['subscribe', 'unsubscribe', 'send', 'typing']) t.match(props(name).roomId, { type: 'string', minLength: 1, maxLength: 200 }, `${name}.roomId`);
  t.match(props('subscribe').sinceSeq, { anyOf: [{ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, { type: 'null' }] });
  t.match(props('send').clientMsgId, { type: 'string', minLength: 1, maxLength: 64 });
  t.match(props('send').body, { type: 'string', minLength: 1, pattern: '\\S' });
  t.match(props('unsubscribed').reason, { anyOf: [{ const: 'room.deleted' }, { const: 'removed' }] });
  for (const [name, m] of Object.entries(doc.components.messages)) t.not((m.payload as { additionalProperties?: unknown }).additionalProperties, false, `${name}: extra fields allowed`);
  t.equal((props('event').event as { additionalProperties?: unknown }).additionalProperties, true, 'the event object is open');
});

t.test('server, bearer security, and the description of resume and close codes', async (t) => {
  t.equal(doc.channels.ws.address, '/v1/ws');
  t.match(doc.servers.local, { host: 'localhost:3000', protocol: 'ws', security: [{ $ref: '#/components/securitySchemes/bearer' }] });
  t.match(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: /"type":"auth"/ });
  t.match(doc.info, { title: String, version: String });
  for (const needle of ['sinceSeq', '1009', '1013', '4401', '1008', 'Authorization: Bearer']) t.match(doc.info.description, needle, `mentions ${needle}`);
});

// Compile-time: the schemas' types are the domain's views, and every domain timeline event is a contract event.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [Same<Room, RoomView>, Same<Member, MemberView>, Same<Message, MessageView>, DomainEvent extends TimelineEvent ? true : false] = [true, true, true, true];
t.same(sameShapes, [true, true, true, true], 'object schemas match the domain views (checked by tsc)');
