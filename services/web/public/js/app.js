// Wires the page together: session, socket frames, forms and rendering.

import { Api } from './api.js';
import { bindControls } from './controls.js';
import { applyEvent } from './events.js';
import { Outbox } from './outbox.js';
import { Rooms } from './rooms.js';
import { ChatSocket } from './socket.js';
import { Store } from './state.js';
import { TimelineSync } from './sync.js';
import * as view from './view.js';

const TYPING_SHOW_MS = 3000;
const ROOM_LIST_POLL_MS = 5000;

const api = new Api();
const store = new Store();
store.loadUser = (id) => api.get(`/v1/users/${encodeURIComponent(id)}`).then((r) => r.user);
const sync = new TimelineSync(api, {
  onEvent: (event) => applyEvent(store, event, { onMessage, onRoomGone: (id) => rooms.gone(id), onMemberJoined }),
});
const socket = new ChatSocket({
  token: () => api.freshToken(),
  onReady,
  onFrame,
  onStatus: (status) => ((store.connection = status), store.changed('connection')),
  onUnauthorized: () => {
    store.authDrops++;
    store.changed('connection');
    return api.refresh().catch(() => {});
  },
});
const rooms = new Rooms(store, api, sync, socket);
const outbox = new Outbox(store, api, socket);
api.onToken = (token) => socket.reauth(token);
api.onSignedOut = () => store.me && location.reload(); // the session was revoked elsewhere

// ---- socket -------------------------------------------------------------
function onReady() {
  store.connects++;
  store.changed('connection');
  rooms.subscribeAll();
  outbox.resendAll();
  rooms.refresh().catch(() => {});
  if (store.activeRoomId) rooms.loadMembers(store.activeRoomId).catch(() => {}); // presence missed while away
}

function onFrame(frame) {
  switch (frame.type) {
    case 'event':
      return sync.receive(frame.roomId, frame.seq, frame.event);
    case 'ack':
      return outbox.onAck(frame);
    case 'typing':
      if (frame.userId === store.me.id) return;
      store.setTyping(frame.roomId, frame.userId, Date.now() + TYPING_SHOW_MS);
      return void setTimeout(() => store.changed('typing'), TYPING_SHOW_MS + 50);
    case 'presence':
      if (frame.status === 'online') store.online.add(frame.userId);
      else store.online.delete(frame.userId);
      return store.changed('members');
    case 'unsubscribed':
      if (frame.reason) rooms.gone(frame.roomId);
      return;
    case 'error':
      if (frame.clientMsgId) return outbox.onError(frame);
      if (frame.code === 'NOT_FOUND' && frame.roomId) rooms.gone(frame.roomId);
      return;
    default:
      return; // subscribed, pong, and frame types added later
  }
}

function onMessage(room, message) {
  if (message.senderId === store.me.id) return;
  if (room.id === store.activeRoomId && document.visibilityState === 'visible') return rooms.markRead();
  if (message.seq <= Math.max(room.lastReadSeq ?? 0, room.countedThrough ?? 0)) return; // a replay the count has
  room.unreadCount = (room.unreadCount ?? 0) + 1;
  room.countedThrough = message.seq;
  store.changed('rooms');
}

function onMemberJoined(roomId) {
  if (roomId === store.activeRoomId) rooms.loadMembers(roomId).catch(() => {});
}

// ---- rendering ----------------------------------------------------------
const dirty = new Set();
let flushTimer = null;
store.addEventListener('change', ({ detail }) => {
  dirty.add(detail);
  flushTimer ??= setTimeout(flush, 16); // one render per burst of changes
});
function flush() {
  flushTimer = null;
  const parts = new Set(dirty);
  dirty.clear();
  const all = parts.has('room');
  if (parts.has('rooms') || all) view.renderRooms(store, openRoom), view.renderRoomHeader(store);
  if (parts.has('members') || all) view.renderMembers(store);
  if (parts.has('messages') || all) view.renderMessages(store, (id) => outbox.retry(id));
  if (parts.has('typing') || all) view.renderTyping(store);
  if (parts.has('connection')) view.renderConnection(store);
  if (parts.has('search') || parts.has('rooms')) view.renderSearch(store, openRoom);
}

function openRoom(roomId) {
  rooms.open(roomId).then(fillViewport).catch(showError);
  document.querySelector('[data-testid="composer-input"]').focus();
}

/** Loads older pages until the list can scroll, so scrolling up can load more. */
async function fillViewport() {
  const list = document.querySelector('[data-testid="message-list"]');
  for (let i = 0; i < 5 && store.hasOlder.get(store.activeRoomId); i++) {
    flush();
    if (list.scrollHeight > list.clientHeight) return;
    await rooms.loadOlder();
  }
}

function showError(err) {
  console.error(err);
}

// ---- start --------------------------------------------------------------
bindControls({ store, api, rooms, outbox, socket, enter, showError });

async function enter(user) {
  store.me = user;
  store.users.set(user.id, user);
  view.showScreen(true);
  view.renderMe(store);
  await rooms.refresh().catch(showError);
  socket.start();
  setInterval(() => navigator.onLine && rooms.refresh().catch(() => {}), ROOM_LIST_POLL_MS);
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (store.rooms.has(wanted)) openRoom(wanted);
  else store.changed('room');
}

const resumed = await api.resume();
if (resumed) await enter(resumed);
else view.showScreen(false);
