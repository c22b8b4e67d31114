// Wires the page together: the chat clients (@sturdy-chat/client), their events, forms and rendering.

import { ChatHttpClient, RealtimeClient, Session, newClientMsgId, unwrap } from './vendor/sturdy-chat-client.js';
import { connectionStatus, createClients, resume } from './connect.js';
import { bindControls } from './controls.js';
import { applyEvent } from './events.js';
import { Outbox } from './outbox.js';
import { Rooms } from './rooms.js';
import { Store } from './state.js';
import * as view from './view.js';

const TYPING_SHOW_MS = 3000;
const ROOM_LIST_POLL_MS = 5000;

const { session, http, live } = createClients({ Session, ChatHttpClient, RealtimeClient }, {
  origin: location.origin,
  storage: localStorage,
  locks: navigator.locks,
});
const store = new Store();
store.loadUser = (userId) => http.raw.GET('/v1/users/{userId}', { params: { path: { userId } } }).then(unwrap).then((r) => r.user);
const rooms = new Rooms(store, http, live, unwrap);
const outbox = new Outbox(store, live, newClientMsgId);
session.onTokens((tokens) => !tokens && store.me && location.reload()); // the session was revoked elsewhere

// ---- realtime -----------------------------------------------------------
// The client resubscribes every room from its last delivered seq and resends
// unacknowledged messages on each (re)connect; the page re-reads what the
// contract has no frame for (rooms we were added to, presence missed while away).
live.on('ready', () => {
  store.connects++;
  store.changed('connection');
  rooms.refresh().catch(() => {});
  if (store.activeRoomId) rooms.loadMembers(store.activeRoomId).catch(() => {});
});
live.on('state', (state) => {
  store.connection = connectionStatus(state);
  store.changed('connection');
});
live.on('disconnect', ({ code }) => {
  if (code !== 4401) return; // the token was refused or ran out: the client refreshes, the page counts it
  store.authDrops++;
  store.changed('connection');
});
live.on('event', ({ event }) => applyEvent(store, event, { onMessage, onRoomGone: (id) => rooms.gone(id), onMemberJoined }));
live.on('typing', ({ roomId, userId }) => {
  if (userId === store.me?.id) return;
  store.setTyping(roomId, userId, Date.now() + TYPING_SHOW_MS);
  setTimeout(() => store.changed('typing'), TYPING_SHOW_MS + 50);
});
live.on('presence', ({ userId, status }) => {
  if (status === 'online') store.online.add(userId);
  else store.online.delete(userId);
  store.changed('members');
});
live.on('unsubscribed', ({ roomId }) => rooms.gone(roomId));
live.on('error', (err) => {
  if (err.code === 'AUTH_FAILED' && !session.tokens && store.me) location.reload(); // signed out: back to the login form
});

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
bindControls({ store, http, live, rooms, outbox, enter, showError });

async function enter(user) {
  store.me = user;
  store.users.set(user.id, user);
  view.showScreen(true);
  view.renderMe(store);
  await rooms.refresh().catch(showError);
  live.connect().catch(() => {}); // 'state' events show how it goes
  setInterval(() => navigator.onLine && rooms.refresh().catch(() => {}), ROOM_LIST_POLL_MS);
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (store.rooms.has(wanted)) openRoom(wanted);
  else store.changed('room');
}

const resumed = await resume({ session, http }, localStorage);
if (resumed) await enter(resumed);
else view.showScreen(false);
