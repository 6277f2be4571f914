// User tokens: named per user; the secret is shown once, at creation.
import Type, { type Static } from 'typebox';
import { Name } from './names.js';

export const CreateUserTokenRequest = Type.Object({ name: Name }, { additionalProperties: false });
export type CreateUserTokenRequest = Static<typeof CreateUserTokenRequest>;

/** The answer to a creation: the only time the token itself is returned. */
export const CreatedUserToken = Type.Object({ name: Name, token: Type.String() }, { additionalProperties: false });
export type CreatedUserToken = Static<typeof CreatedUserToken>;

/** A token as listed: no secret. */
export const UserToken = Type.Object({ name: Name, createdAt: Type.String({ format: 'date-time' }) }, { $id: 'UserToken', additionalProperties: false });
export type UserToken = Static<typeof UserToken>;

/** A token as stored (and exported): parented by its user, holding only the token's sha256. */
export const UserTokenData = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Name,
    parentId: Type.String({ format: 'uuid', description: 'the user' }),
    tokenSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'UserTokenData', additionalProperties: false },
);
export type UserTokenData = Static<typeof UserTokenData>;
