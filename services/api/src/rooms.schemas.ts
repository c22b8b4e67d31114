import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 36, pattern: '^[0-9a-fA-F-]{36}$' });

export const CreateRoomBody = Type.Object({
  type: Type.Union([Type.Literal('group'), Type.Literal('direct')]),
  name: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  memberIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
});
export const RenameRoomBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });
export const AddMemberBody = Type.Object({ userId: Id });
export const ChangeRoleBody = Type.Object({ role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) });

export type CreateRoomBody = Static<typeof CreateRoomBody>;
export type RenameRoomBody = Static<typeof RenameRoomBody>;
export type AddMemberBody = Static<typeof AddMemberBody>;
export type ChangeRoleBody = Static<typeof ChangeRoleBody>;
