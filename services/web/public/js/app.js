// Wires the page together: session, socket frames, forms and rendering.

import { Api, query } from './api.js';
import { applyEvent } from './events.js';
import { Outbox } from './outbox.js';
import { Rooms } from './rooms.js';
import { ChatSocket } from './socket.js';
import { Store } from './state.js';
import { TimelineSync } from './sync.js';
import * as view from './view.js';

const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SHOW_MS = 3000;
const ROOM_LIST_POLL_MS = 5000;

const api = new Api();
const store = new Store();
store.loadUser = (id) => api.get(`/v1/users/${encodeURIComponent(id)}`).then((r) => r.user);
const sync = new TimelineSync(api, {
  onEvent: (event) => applyEvent(store, event, { onMessage, onRoomGone: (id) => rooms.gone(id), onMemberJoined }),
});
const socket = new ChatSocket({
  token: () => api.accessToken,
  onReady,
  onFrame,
  onStatus: (status) => ((store.connection = status), store.changed('connection')),
  onUnauthorized: () => api.refresh().catch(() => {}),
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
  if (message.seq > (room.lastReadSeq ?? 0)) room.unreadCount = (room.unreadCount ?? 0) + 1;
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
  rooms.open(roomId).catch(showError);
  document.querySelector('[data-testid="composer-input"]').focus();
}

function showError(err) {
  console.error(err);
}

// ---- forms --------------------------------------------------------------
const form = (id, handler) =>
  document.getElementById(id).addEventListener('submit', (ev) => {
    ev.preventDefault();
    handler(new FormData(ev.target), ev.target, ev.submitter);
  });

form('auth-form', async (data, el, submitter) => {
  const error = el.querySelector('[data-testid="auth-error"]');
  error.textContent = '';
  const [username, password, displayName] = ['username', 'password', 'displayName'].map((k) => String(data.get(k) ?? '').trim());
  try {
    const user = submitter?.value === 'register'
      ? await api.register(username, password, displayName)
      : await api.login(username, password);
    await enter(user);
  } catch (err) {
    error.textContent = err.status === 401 ? 'Wrong username or password.' : err.status === 409 ? 'That username is taken.' : err.message;
  }
});

form('new-room-form', (data, el) => {
  const name = String(data.get('name')).trim();
  if (name) rooms.create(name).then(() => el.reset(), showError);
});

form('add-member-form', (data, el) => {
  const error = el.querySelector('[data-testid="add-member-error"]');
  error.textContent = '';
  rooms.addMember(String(data.get('username'))).then(() => el.reset(), (err) => (error.textContent = err.message));
});

const composer = document.querySelector('[data-testid="composer-input"]');
let lastTypingSentAt = 0;
form('composer', (data, el) => {
  const body = String(data.get('body'));
  if (!body.trim() || !store.activeRoomId) return;
  outbox.send(store.activeRoomId, body);
  el.reset();
  lastTypingSentAt = 0;
});
composer.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    document.getElementById('composer').requestSubmit();
  }
});
composer.addEventListener('input', () => {
  if (!composer.value.trim() || Date.now() - lastTypingSentAt < TYPING_SEND_EVERY_MS) return;
  if (socket.send({ type: 'typing', roomId: store.activeRoomId })) lastTypingSentAt = Date.now();
});

const messageList = document.querySelector('[data-testid="message-list"]');
messageList.addEventListener('scroll', () => {
  if (messageList.scrollTop < 80) rooms.loadOlder().catch(showError);
});

let searchSeq = 0;
let searchTimer = null;
const searchInput = document.querySelector('[data-testid="search-input"]');
searchInput.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 250);
});
form('search-form', () => search());
async function search() {
  const q = searchInput.value.trim();
  const mine = ++searchSeq;
  store.search = { q, hits: q ? null : [], error: null };
  store.changed('search');
  if (!q) return;
  try {
    const { hits } = await api.get(`/v1/search${query({ q, limit: 20 })}`);
    if (mine === searchSeq) store.search = { q, hits, error: null };
  } catch (err) {
    if (mine === searchSeq) store.search = { q, hits: [], error: err.message };
  }
  store.changed('search');
}

document.querySelector('[data-testid="logout"]').addEventListener('click', async () => {
  await api.logout();
  location.hash = '';
  location.reload();
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  rooms.markRead();
  rooms.refresh().catch(() => {});
});

// ---- start --------------------------------------------------------------
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
