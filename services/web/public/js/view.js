// Renders the store into the page. Every piece of user text goes in as text.

import { el, formatTime, highlighted, replaceChildren } from './dom.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

export function showScreen(signedIn) {
  $('auth-screen').hidden = signedIn;
  $('chat-screen').hidden = !signedIn;
}

export function renderMe(store) {
  $('me-name').textContent = store.me ? store.me.displayName || store.me.username : '';
}

export function renderConnection(store) {
  const dot = $('connection-status');
  dot.dataset.status = store.connection;
  dot.dataset.connects = String(store.connects);
  dot.dataset.authDrops = String(store.authDrops);
  dot.title = store.connection === 'ready' ? 'connected' : store.connection;
}

export function renderRooms(store, onOpen) {
  const items = store.roomOrder.map((id) => store.rooms.get(id)).filter(Boolean).map((room) => {
    const unread = room.id === store.activeRoomId ? 0 : room.unreadCount || 0;
    const name = store.roomName(room);
    return el('li', {},
      el('button', {
        type: 'button', class: room.id === store.activeRoomId ? 'room-item active' : 'room-item',
        testid: 'room-item', dataset: { roomId: room.id, roomName: name }, on: { click: () => onOpen(room.id) },
      },
      el('span', { class: 'room-name', testid: 'room-name', text: name }),
      unread > 0 && el('span', { class: 'badge', testid: 'room-unread', text: unread > 99 ? '99+' : unread })));
  });
  replaceChildren($('room-list'), items.length ? items : el('li', { class: 'muted empty', text: 'No rooms yet' }));
  const total = [...store.rooms.values()].reduce((n, r) => n + (r.id === store.activeRoomId ? 0 : r.unreadCount || 0), 0);
  document.title = total ? `(${total}) Chat` : 'Chat';
}

export function renderRoomHeader(store) {
  const room = store.activeRoom;
  $('no-room').hidden = Boolean(room);
  $('room-view').hidden = !room;
  if (!room) return;
  $('room-title').textContent = store.roomName(room);
  document.getElementById('add-member-form').hidden = room.type !== 'group';
}

export function renderMembers(store) {
  const room = store.activeRoom;
  if (!room) return;
  const members = [...(store.members.get(room.id)?.values() ?? [])];
  replaceChildren($('member-list'), members.map((m) => {
    const online = store.online.has(m.userId);
    return el('li', { testid: 'member', dataset: { userId: m.userId, online: String(online) }, title: online ? 'online' : 'offline' },
      el('span', { class: online ? 'presence online' : 'presence' }),
      store.userName(m.userId) + (m.userId === store.me?.id ? ' (you)' : ''));
  }));
}

export function renderTyping(store) {
  const names = store.activeRoomId ? store.typingNames(store.activeRoomId) : [];
  $('typing-indicator').textContent =
    names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

function messageItem(store, m) {
  const mine = m.senderId === store.me?.id;
  return el('li', {
    class: `message${mine ? ' mine' : ''}${m.deleted ? ' deleted' : ''}`, testid: 'message',
    dataset: { key: m.id, messageId: m.id, seq: m.seq, clientMsgId: m.clientMsgId, state: m.deleted ? 'deleted' : 'sent' },
  },
  el('div', { class: 'meta' },
    el('span', { class: 'author', testid: 'message-author', text: store.userName(m.senderId) }),
    el('time', { datetime: m.createdAt, text: formatTime(m.createdAt) }),
    m.editedAt && !m.deleted && el('span', { class: 'edited', text: '(edited)' })),
  m.deleted
    ? el('div', { class: 'body tombstone', testid: 'message-body', text: 'This message was deleted' })
    : el('div', { class: 'body', testid: 'message-body', text: m.body }));
}

function pendingItem(store, p, onRetry) {
  return el('li', {
    class: `message mine ${p.failed ? 'failed' : 'pending'}`, testid: 'message',
    dataset: { key: `pending:${p.clientMsgId}`, clientMsgId: p.clientMsgId, state: p.failed ? 'failed' : 'pending' },
  },
  el('div', { class: 'meta' },
    el('span', { class: 'author', testid: 'message-author', text: store.userName(store.me.id) }),
    p.failed
      ? el('button', { type: 'button', class: 'link', testid: 'message-retry', on: { click: () => onRetry(p.clientMsgId) }, text: 'Not sent — retry' })
      : el('span', { class: 'muted', text: 'sending…' })),
  el('div', { class: 'body', testid: 'message-body', text: p.body }));
}

/** Re-renders the message list, keeping the reader's place (or the bottom). */
export function renderMessages(store, onRetry) {
  const list = $('message-list');
  const roomId = store.activeRoomId;
  if (!roomId) return;
  const { stored, pending } = store.timeline(roomId);
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const firstKey = list.querySelector('[data-key]')?.dataset.key;
  const firstTop = firstKey ? list.querySelector(`[data-key="${CSS.escape(firstKey)}"]`).offsetTop - list.scrollTop : 0;

  const head = !store.messages.has(roomId) || store.hasOlder.get(roomId) === undefined
    ? el('li', { class: 'notice', text: 'Loading…' })
    : store.hasOlder.get(roomId)
      ? el('li', { class: 'notice', testid: 'load-older', text: 'Scroll up for older messages' })
      : el('li', { class: 'notice', testid: 'history-start', text: 'This is the beginning of the conversation.' });
  replaceChildren(list, head, stored.map((m) => messageItem(store, m)), pending.map((p) => pendingItem(store, p, onRetry)));

  const anchor = firstKey && list.querySelector(`[data-key="${CSS.escape(firstKey)}"]`);
  if (list.dataset.roomId !== roomId) {
    list.dataset.roomId = roomId;
    list.scrollTop = list.scrollHeight;
  } else if (nearBottom) {
    list.scrollTop = list.scrollHeight;
  } else if (anchor) {
    list.scrollTop = anchor.offsetTop - firstTop; // older messages were added above: stay put
  }
}

export function renderSearch(store, onOpen) {
  const box = $('search-results');
  const { q, hits, error } = store.search;
  box.hidden = !q;
  if (!q) return replaceChildren(box);
  if (error) return replaceChildren(box, el('li', { class: 'error', text: error }));
  if (!hits) return replaceChildren(box, el('li', { class: 'muted', text: 'Searching…' }));
  if (!hits.length) return replaceChildren(box, el('li', { class: 'muted', testid: 'search-empty', text: 'No messages found' }));
  replaceChildren(box, hits.map(({ message: m }) =>
    el('li', {},
      el('button', { type: 'button', class: 'search-hit', testid: 'search-hit', dataset: { roomId: m.roomId, messageId: m.id }, on: { click: () => onOpen(m.roomId) } },
        el('span', { class: 'meta' },
          el('span', { class: 'room-name', text: store.roomName(store.rooms.get(m.roomId)) || 'room' }),
          el('span', { class: 'author', text: store.userName(m.senderId) }),
          el('time', { datetime: m.createdAt, text: formatTime(m.createdAt) })),
        el('span', { class: 'body', testid: 'search-hit-body' }, highlighted(m.body, q))))));
}
