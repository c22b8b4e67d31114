// Compile-time checks (tsc -p packages/client/tsconfig.json): the types derived from the generated OpenAPI types are real, not `never`.
import t from 'tap';
import type { AuthAnswer, CreateRoomBody, EventPage, Member, Message, MessagePage, Room, RoomListing, SearchAnswer, User } from '../src/http';

type IsNever<T> = [T] extends [never] ? true : false;
type Expect<T extends false> = T;
export type Checks = [
  Expect<IsNever<AuthAnswer>>, Expect<IsNever<User>>, Expect<IsNever<Room>>, Expect<IsNever<RoomListing>>, Expect<IsNever<Member>>,
  Expect<IsNever<Message>>, Expect<IsNever<MessagePage>>, Expect<IsNever<EventPage>>, Expect<IsNever<SearchAnswer>>, Expect<IsNever<CreateRoomBody>>,
  Expect<IsNever<Message['seq']>>, Expect<IsNever<Room['lastSeq']>>, Expect<IsNever<AuthAnswer['expiresIn']>>,
];
export type SeqIsNumber = Expect<Message['seq'] extends number ? false : true>;
t.pass('types compile');
