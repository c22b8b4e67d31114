import { Type, type Static } from '@sinclair/typebox';

export const Username = Type.String({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' });
export const Password = Type.String({ minLength: 8, maxLength: 128 });

export const RegisterBody = Type.Object({ username: Username, password: Password, displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) });
export const LoginBody = Type.Object({ username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1024 }) });
export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 1024 }) });

export type RegisterBody = Static<typeof RegisterBody>;
export type LoginBody = Static<typeof LoginBody>;
export type RefreshBody = Static<typeof RefreshBody>;
