// Anchor: the ceiling for fan-out in Node. A bare `ws` server that speaks the
// chat's frame shapes without auth, storage or validation: `subscribe` joins a
// room, `send` gets the next per-room seq, an `ack`, and one serialized `event`
// frame written to every member. Run: PORT=4001 tsx loadtest/anchors/bare-ws-broadcast.ts
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { collectDefaultMetrics, register } from 'prom-client';

interface Room {
  seq: number;
  readonly members: Set<WebSocket>;
}

collectDefaultMetrics();
const rooms = new Map<string, Room>();
const roomOf = (id: string): Room => {
  let r = rooms.get(id);
  if (!r) rooms.set(id, (r = { seq: 0, members: new Set() }));
  return r;
};

const server = http.createServer(async (req, res) => {
  if (req.url === '/healthz') return void res.end('ok');
  if (req.url === '/metrics') {
    res.setHeader('content-type', register.contentType);
    return void res.end(await register.metrics());
  }
  res.statusCode = 404;
  res.end();
});

const wss = new WebSocketServer({ server, path: '/v1/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  const joined = new Set<Room>();
  ws.send('{"type":"ready","userId":"anon"}');
  ws.on('message', (data) => {
    let f: { type?: string; roomId?: string; clientMsgId?: string; body?: string };
    try {
      f = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (typeof f.roomId !== 'string') return;
    const room = roomOf(f.roomId);
    if (f.type === 'subscribe') {
      room.members.add(ws);
      joined.add(room);
      ws.send(JSON.stringify({ type: 'subscribed', roomId: f.roomId, lastSeq: room.seq }));
    } else if (f.type === 'send') {
      const seq = ++room.seq;
      ws.send(JSON.stringify({ type: 'ack', roomId: f.roomId, clientMsgId: f.clientMsgId, messageId: `m${seq}`, seq }));
      const frame = Buffer.from(
        JSON.stringify({ type: 'event', roomId: f.roomId, seq, event: { seq, type: 'message.posted', roomId: f.roomId, message: { seq, body: f.body } } }),
      );
      for (const m of room.members) m.send(frame, { binary: false });
    }
  });
  ws.on('close', () => {
    for (const r of joined) r.members.delete(ws);
  });
});

const port = Number(process.env.PORT ?? 4001);
server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`bare-ws anchor on ${port}`));
process.on('SIGTERM', () => process.exit(0));
