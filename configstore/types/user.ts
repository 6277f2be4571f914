import Type, { type Static } from 'typebox';
import { Name } from './names.js';

export const User = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Name,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User', additionalProperties: false },
);
export type User = Static<typeof User>;

export const CreateUserRequest = Type.Object({ name: Name }, { additionalProperties: false });
export type CreateUserRequest = Static<typeof CreateUserRequest>;

/** Renames a user: the new name must be free. */
export const UpdateUserRequest = Type.Object({ name: Name }, { additionalProperties: false });
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;
