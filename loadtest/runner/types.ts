/** A user of the system under test (anchors make them up; the chat API registers them). */
export interface UserRef {
  readonly id: string;
  readonly token: string;
}

/** Hooks a connection calls; the scenario installs them before subscribing. */
export interface ConnHandlers {
  /** A room event with a message body; `seq` is the room timeline seq. */
  onMessage(roomId: string, seq: number, body: string): void;
  /** Any other room event (member.joined …): only its seq matters for gap checks. */
  onOtherEvent(roomId: string, seq: number): void;
  onAck(clientMsgId: string, seq: number): void;
  onError(code: string, clientMsgId: string | undefined): void;
  onClose(code: number): void;
}

/** One client connection (WebSocket or Socket.IO), already authenticated. */
export interface ClientConn {
  handlers: ConnHandlers;
  /** Resolves with the room's lastSeq once the server confirms. */
  subscribe(roomId: string): Promise<number>;
  send(roomId: string, clientMsgId: string, body: string): void;
  /** Bytes queued in the client socket (backpressure signal). */
  buffered(): number;
  close(): void;
}

/** What a scenario needs from a server: ours, the bare ws anchor or the Socket.IO anchor. */
export interface SystemUnderTest {
  readonly name: string;
  readonly baseUrl: string;
  /** Prometheus endpoint, for heap-per-socket figures. */
  readonly metricsUrl: string | undefined;
  createUsers(n: number, onProgress?: (done: number) => void): Promise<UserRef[]>;
  /** A room with `owner` and `members`; returns its id. */
  createRoom(owner: UserRef, members: readonly UserRef[], name: string): Promise<string>;
  connect(user: UserRef): Promise<ClientConn>;
  /** HTTP send, when the system has one; resolves with the stored seq. */
  sendHttp?(user: UserRef, roomId: string, clientMsgId: string, body: string): Promise<number>;
  /** Reads one history page (GET /v1/rooms/:roomId/messages?limit=…); resolves with the messages returned. */
  readHistory?(user: UserRef, roomId: string, limit: number): Promise<number>;
  /** Messages stored in a room (for persisted counts), when the system can say. */
  storedMessages?(user: UserRef, roomIds: readonly string[]): Promise<number>;
}

export const noHandlers: ConnHandlers = {
  onMessage: () => undefined,
  onOtherEvent: () => undefined,
  onAck: () => undefined,
  onError: () => undefined,
  onClose: () => undefined,
};
