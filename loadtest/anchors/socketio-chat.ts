// Anchor: a minimal Socket.IO 4.8 chat with rooms (no auth, no storage), the
// usual way Node chat servers are built. `join` a room (ack: its last seq),
// `send` a message (ack: its seq); members receive `event` {roomId, seq, body}.
// Run: PORT=4002 tsx loadtest/anchors/socketio-chat.ts
import http from 'node:http';
import { Server } from 'socket.io';
import { collectDefaultMetrics, register } from 'prom-client';

collectDefaultMetrics();
const seqs = new Map<string, number>();

const server = http.createServer(async (req, res) => {
  if (req.url === '/healthz') return void res.end('ok');
  if (req.url === '/metrics') {
    res.setHeader('content-type', register.contentType);
    return void res.end(await register.metrics());
  }
  // Everything else belongs to Socket.IO's own request handler.
});

const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
io.on('connection', (socket) => {
  socket.on('join', (roomId: unknown, ack: unknown) => {
    if (typeof roomId !== 'string') return;
    void socket.join(roomId);
    if (typeof ack === 'function') ack(seqs.get(roomId) ?? 0);
  });
  socket.on('send', (msg: { roomId?: unknown; body?: unknown }, ack: unknown) => {
    if (typeof msg?.roomId !== 'string' || typeof msg.body !== 'string') return;
    const seq = (seqs.get(msg.roomId) ?? 0) + 1;
    seqs.set(msg.roomId, seq);
    if (typeof ack === 'function') ack(seq);
    io.to(msg.roomId).emit('event', { roomId: msg.roomId, seq, body: msg.body });
  });
});

const port = Number(process.env.PORT ?? 4002);
server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`socket.io anchor on ${port}`));
process.on('SIGTERM', () => process.exit(0));
