// Applies one timeline event (already in seq order, exactly once) to the store.

/**
 * @param {import('./state.js').Store} store
 * @param {{ onMessage: (room: any, message: any) => void, onRoomGone: (roomId: string) => void,
 *           onMemberJoined: (roomId: string) => void }} hooks
 */
export function applyEvent(store, event, hooks) {
  const room = store.rooms.get(event.roomId);
  if (!room) return;
  room.lastSeq = Math.max(room.lastSeq ?? 0, event.seq);
  const members = store.members.get(event.roomId);
  switch (event.type) {
    case 'room.created':
    case 'room.updated':
      Object.assign(room, event.room, { lastSeq: room.lastSeq });
      store.changed('rooms', 'room');
      break;
    case 'member.joined':
    case 'member.updated':
      if (event.type === 'member.joined' && !members?.has(event.member.userId)) room.memberCount = (room.memberCount ?? 0) + 1;
      members?.set(event.member.userId, event.member);
      store.changed('members');
      if (event.type === 'member.joined') hooks.onMemberJoined(event.roomId);
      break;
    case 'member.left':
      members?.delete(event.userId);
      room.memberCount = Math.max(0, (room.memberCount ?? 1) - 1);
      store.changed('members');
      if (event.userId === store.me?.id) hooks.onRoomGone(event.roomId);
      break;
    case 'message.posted':
      store.putMessages(event.roomId, [event.message]);
      store.setTyping(event.roomId, event.message.senderId, 0);
      store.bumpRoom(event.roomId);
      hooks.onMessage(room, event.message);
      break;
    case 'message.edited':
      store.putMessages(event.roomId, [event.message]);
      break;
    case 'message.deleted': {
      const map = store.messages.get(event.roomId);
      const old = map?.get(event.messageId);
      if (old) map.set(old.id, { ...old, body: '', deleted: true });
      store.changed('messages');
      break;
    }
    default:
      break; // event types added to the contract later are not shown
  }
}
