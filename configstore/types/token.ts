// User tokens: named per user; the secret is shown once, at creation.
import Type, { type Static } from 'typebox';
import { Name } from './names.js';

export const CreateUserTokenRequest = Type.Object({ name: Name }, { additionalProperties: false });
export type CreateUserTokenRequest = Static<typeof CreateUserTokenRequest>;

/** The answer to a creation: the only time the token itself is returned. */
export const CreatedUserToken = Type.Object({ name: Name, token: Type.String() }, { additionalProperties: false });
export type CreatedUserToken = Static<typeof CreatedUserToken>;

/** A token as listed: no secret. */
export const UserToken = Type.Object(
  { name: Name, createdAt: Type.String({ format: 'date-time' }) },
  { $id: 'UserToken', additionalProperties: false },
);
export type UserToken = Static<typeof UserToken>;
