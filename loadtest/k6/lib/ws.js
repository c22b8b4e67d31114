// WebSocket session of one user: connect with header auth, wait for `ready`,
// subscribe to rooms, send at a rate, receive and check seq order, then close.
// Frames sent go through `sendFrame(socket, { type: '…' })` and frames handled
// are `case '…':` labels, so the contract test can list them.
import ws from 'k6/ws';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { WS_URL } from './config.js';

export const wsConnectMs = new Trend('chat_ws_connect_ms', true);
export const wsSendAckMs = new Trend('chat_ws_send_ack_ms', true);
export const wsDeliverMs = new Trend('chat_ws_deliver_ms', true);
export const wsDelivered = new Counter('chat_ws_delivered');
export const wsSent = new Counter('chat_ws_sent');
export const wsErrors = new Counter('chat_ws_errors');
export const wsSeqGaps = new Counter('chat_ws_seq_gaps');

/** @param {import('k6/ws').Socket} socket @param {Record<string, unknown> & { type: string }} frame */
export function sendFrame(socket, frame) {
  socket.send(JSON.stringify(frame));
}

/**
 * @typedef {{
 *   token: string,
 *   userId: string,
 *   roomIds: string[],
 *   sinceSeq?: Record<string, number>,
 *   seconds: number,
 *   msgsPerSecond: number,
 *   idPrefix: string,
 * }} SessionOptions
 */

/**
 * Runs one socket session; returns the last seq seen per room so the next
 * session can resume with `sinceSeq` (the contract promises no loss).
 * @param {SessionOptions} o
 * @returns {Record<string, number>}
 */
export function wsSession(o) {
  /** @type {Record<string, number>} */
  const lastSeq = { ...(o.sinceSeq ?? {}) };
  /** @type {Map<string, number>} */
  const pendingAcks = new Map();
  const started = Date.now();
  let sent = 0;
  const res = ws.connect(WS_URL, { headers: { authorization: `Bearer ${o.token}` } }, (socket) => {
    socket.on('message', (data) => {
      /** @type {any} */
      let msg;
      try {
        msg = JSON.parse(data);
      } catch {
        wsErrors.add(1);
        return;
      }
      switch (msg.type) {
        case 'ready':
          wsConnectMs.add(Date.now() - started);
          for (const roomId of o.roomIds) {
            const since = lastSeq[roomId];
            sendFrame(socket, since === undefined ? { type: 'subscribe', roomId } : { type: 'subscribe', roomId, sinceSeq: since });
          }
          if (o.msgsPerSecond > 0) {
            socket.setInterval(() => {
              const roomId = o.roomIds[sent % o.roomIds.length];
              if (roomId === undefined) return;
              const clientMsgId = `${o.idPrefix}-${sent++}`;
              pendingAcks.set(clientMsgId, Date.now());
              wsSent.add(1);
              sendFrame(socket, { type: 'send', roomId, clientMsgId, body: JSON.stringify({ t: Date.now(), id: clientMsgId }) });
            }, 1000 / o.msgsPerSecond);
          }
          socket.setInterval(() => sendFrame(socket, { type: 'ping' }), 20000);
          break;
        case 'subscribed':
          if (lastSeq[msg.roomId] === undefined) lastSeq[msg.roomId] = msg.lastSeq;
          break;
        case 'event': {
          const prev = lastSeq[msg.roomId];
          if (prev !== undefined && msg.seq !== prev + 1) wsSeqGaps.add(1);
          if (prev === undefined || msg.seq > prev) lastSeq[msg.roomId] = msg.seq;
          if (msg.event && msg.event.type === 'message.posted') {
            wsDelivered.add(1);
            try {
              const body = JSON.parse(msg.event.message.body);
              if (typeof body.t === 'number') wsDeliverMs.add(Date.now() - body.t);
            } catch {
              // not one of ours (another client's text)
            }
          }
          break;
        }
        case 'ack': {
          const t = pendingAcks.get(msg.clientMsgId);
          if (t !== undefined) {
            wsSendAckMs.add(Date.now() - t);
            pendingAcks.delete(msg.clientMsgId);
          }
          break;
        }
        case 'error':
          wsErrors.add(1);
          break;
        case 'pong':
        case 'presence':
        case 'typing':
        case 'unsubscribed':
          break;
        default:
          break;
      }
    });
    socket.on('error', () => wsErrors.add(1));
    socket.setTimeout(() => socket.close(), o.seconds * 1000);
  });
  check(res, { 'ws upgrade 101': (r) => r !== undefined && r.status === 101 });
  return lastSeq;
}
