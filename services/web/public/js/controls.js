// What the person does: sign in, create rooms, add people, type, search, leave.

import { REFRESH_KEY } from './connect.js';

const TYPING_SEND_EVERY_MS = 2000;
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

const form = (id, handler) =>
  document.getElementById(id).addEventListener('submit', (ev) => {
    ev.preventDefault();
    handler(new FormData(ev.target), ev.target, ev.submitter);
  });

/** @param {{ store, http, live, rooms, outbox, enter: (user) => Promise<void>, showError: (err) => void }} app */
export function bindControls({ store, http, live, rooms, outbox, enter, showError }) {
  form('auth-form', async (data, el, submitter) => {
    const error = $('auth-error');
    error.textContent = '';
    const [username, password, displayName] = ['username', 'password', 'displayName'].map((k) => String(data.get(k) ?? '').trim());
    try {
      const { user } = submitter?.value === 'register'
        ? await http.register({ username, password, ...(displayName ? { displayName } : {}) })
        : await http.login({ username, password });
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
    const error = $('add-member-error');
    error.textContent = '';
    rooms.addMember(String(data.get('username'))).then(() => el.reset(), (err) => (error.textContent = err.message));
  });

  const composer = $('composer-input');
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
    if (live.typing(store.activeRoomId)) lastTypingSentAt = Date.now();
  });

  const messageList = $('message-list');
  messageList.addEventListener('scroll', () => {
    if (messageList.scrollTop < 80) rooms.loadOlder().catch(showError);
  });

  bindSearch(store, http);

  $('logout').addEventListener('click', async () => {
    store.me = null; // a logout, not a revoked session: no reload before the server is told
    live.close();
    await http.logout().catch(() => {}); // forgets the session here even when the server cannot be told
    location.hash = '';
    location.reload();
  });
  addEventListener('storage', (ev) => {
    if (ev.key === REFRESH_KEY && !ev.newValue && store.me) location.reload(); // logged out in another tab
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    rooms.markRead();
    rooms.refresh().catch(() => {});
  });
}

function bindSearch(store, http) {
  const input = $('search-input');
  let latest = 0;
  let timer = null;
  const search = async () => {
    const q = input.value.trim();
    const mine = ++latest; // answers to older queries are dropped
    store.search = { q, hits: q ? null : [], error: null };
    store.changed('search');
    if (!q) return;
    try {
      const { hits } = await http.search({ q, limit: 20 });
      if (mine === latest) store.search = { q, hits, error: null };
    } catch (err) {
      if (mine === latest) store.search = { q, hits: [], error: err.message };
    }
    store.changed('search');
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  form('search-form', search);
}
