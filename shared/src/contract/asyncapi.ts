import type { TSchema } from '@sinclair/typebox';
import { CLIENT_FRAMES, SERVER_FRAMES } from './ws-frames';
import { WS_FRAME_EXAMPLES } from './ws-frame-examples';

const DESCRIPTION = `The WebSocket of the chat API (API.md, "WebSocket: GET /v1/ws"). Frames are JSON text, one object per frame, each with a \`type\`; unknown fields are ignored. This document is written from the server's side: it receives the client's frames and sends its own.

**Authentication.** \`Authorization: Bearer <accessToken>\` on the upgrade (a bad token is refused with HTTP 401 before the upgrade), or, without the header, \`{"type":"auth","token"}\` as the first frame within 10 s. The server answers \`ready\`, always its first frame. A bad token in the auth frame, or any other frame before \`ready\`, is answered with an error frame and the socket is closed with 4401. When the access token expires the socket is closed with 4401, unless the client sent a fresh \`auth\` frame before then. Browsers' \`Origin\` is checked against an allow-list.

**Resume.** \`subscribe\` with \`sinceSeq\` answers \`subscribed {lastSeq}\`, then every timeline event with seq > sinceSeq in order, then live events from lastSeq + 1: no gaps, no repeats within one subscription, however many events were missed (the replay is paced by the socket's draining). A client that reconnects subscribes with the last seq it has and loses nothing.

**Errors.** Once ready, a malformed or unknown frame is answered with \`{"type":"error","code":"VALIDATION_FAILED",…}\` naming the field, and the socket stays open. Every frame counts against the user's frame bucket (error RATE_LIMITED when it is empty).

**Close codes.** 1009: a frame over 64 KiB. 1013: more than 1 MiB waiting to be sent to a client that does not read (reconnect and resume with \`sinceSeq\`). 4401: not authenticated, a bad token, or the access token expired. 1008: too many sockets for this user (after an error RATE_LIMITED instead of \`ready\`). The server pings every 30 s and closes a socket that has not answered by the next ping.`;

/** A schema as plain JSON Schema: TypeBox's symbol keys dropped. */
const jsonSchema = (schema: TSchema): object => JSON.parse(JSON.stringify(schema));

function messages(frames: Record<string, TSchema>, direction: string): Record<string, object> {
  return Object.fromEntries(
    Object.entries(frames).map(([name, schema]) => [
      name,
      {
        name,
        title: `${schema.properties.type.const} (${direction})`,
        summary: schema.description,
        contentType: 'application/json',
        payload: jsonSchema(schema),
        examples: [{ name, payload: WS_FRAME_EXAMPLES[name] }],
      },
    ]),
  );
}

const refs = (names: string[], prefix: string) => Object.fromEntries(names.map((n) => [n, { $ref: `${prefix}/${n}` }]));

/** The AsyncAPI 3.0 document of `GET /v1/ws`, made from the frame schemas the server validates with. */
export function asyncApiDocument(): object {
  const clientNames = Object.keys(CLIENT_FRAMES);
  const serverNames = Object.keys(SERVER_FRAMES);
  const clashes = clientNames.filter((n) => serverNames.includes(n));
  if (clashes.length > 0) throw new Error(`frame names used in both directions: ${clashes.join(', ')}`);
  return {
    asyncapi: '3.0.0',
    info: { title: 'sturdy-chat WebSocket API', version: '1.0.0', description: DESCRIPTION },
    defaultContentType: 'application/json',
    servers: {
      local: { host: 'localhost:3000', protocol: 'ws', description: 'A server run locally (npm start); behind TLS the protocol is wss', security: [{ $ref: '#/components/securitySchemes/bearer' }] },
    },
    channels: {
      ws: {
        address: '/v1/ws',
        title: 'GET /v1/ws',
        description: 'One socket per client: every subscribed room, typing, presence and notifications travel over it.',
        messages: refs([...clientNames, ...serverNames], '#/components/messages'),
        bindings: { ws: { method: 'GET' } },
      },
    },
    operations: {
      receiveClientFrames: {
        action: 'receive',
        title: 'client → server',
        summary: 'The frames a client sends',
        channel: { $ref: '#/channels/ws' },
        messages: clientNames.map((n) => ({ $ref: `#/channels/ws/messages/${n}` })),
      },
      sendServerFrames: {
        action: 'send',
        title: 'server → client',
        summary: 'The frames the server sends: answers, events, typing, presence, notifications, errors',
        channel: { $ref: '#/channels/ws' },
        messages: serverNames.map((n) => ({ $ref: `#/channels/ws/messages/${n}` })),
      },
    },
    components: {
      messages: { ...messages(CLIENT_FRAMES, 'client → server'), ...messages(SERVER_FRAMES, 'server → client') },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access token of POST /v1/auth/login, /register or /refresh, as `Authorization: Bearer` on the upgrade. Clients that cannot set headers (browsers) send it in the first frame instead: {"type":"auth","token"}.',
        },
      },
    },
  };
}
