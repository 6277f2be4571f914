// A user's account on a remote source (gitea, github, gitlab) and its credentials there.
import Type, { type Static } from 'typebox';
import { NamedRef } from './names.js';

const Text = (maxLength: number) => Type.String({ maxLength });
const Secret = Type.String({ maxLength: 4096 });

// Credentials and profile fields, shared by the stored object and the requests.
const accountFields = {
  remoteUserId: Type.String({ minLength: 1, maxLength: 256 }),
  remoteUserName: Type.String({ minLength: 1, maxLength: 256 }),
  remoteUserAvatarUrl: Type.Optional(Text(2048)),
  userAccessToken: Type.Optional(Secret),
  oauth2AccessToken: Type.Optional(Secret),
  oauth2RefreshToken: Type.Optional(Secret),
  oauth2AccessTokenExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
};

/**
 * Returned with its credentials: configstore is an internal service and its callers (the
 * gateway) need them to act on the remote source for the user, as in Agola.
 */
const linkedAccountFields = {
  id: Type.String({ format: 'uuid' }),
  userId: Type.String({ format: 'uuid' }),
  remoteSourceId: Type.String({ format: 'uuid' }),
  ...accountFields,
  createdAt: Type.String({ format: 'date-time' }),
};
export const LinkedAccount = Type.Object(linkedAccountFields, { $id: 'LinkedAccount', additionalProperties: false });
export type LinkedAccount = Static<typeof LinkedAccount>;

/** As stored (and exported): `name` = the id and `parentId` = the user, which the read model indexes. */
export const LinkedAccountData = Type.Object(
  { ...linkedAccountFields, name: Type.String({ format: 'uuid' }), parentId: Type.String({ format: 'uuid' }) },
  { $id: 'LinkedAccountData', additionalProperties: false },
);
export type LinkedAccountData = Static<typeof LinkedAccountData>;

export const CreateLinkedAccountRequest = Type.Object({ remoteSourceRef: NamedRef, ...accountFields }, { additionalProperties: false });
export type CreateLinkedAccountRequest = Static<typeof CreateLinkedAccountRequest>;

/** Fields given replace the stored ones (a token refresh sends only the tokens). The remote source never changes. */
export const UpdateLinkedAccountRequest = Type.Object(
  {
    remoteUserId: Type.Optional(accountFields.remoteUserId),
    remoteUserName: Type.Optional(accountFields.remoteUserName),
    remoteUserAvatarUrl: accountFields.remoteUserAvatarUrl,
    userAccessToken: accountFields.userAccessToken,
    oauth2AccessToken: accountFields.oauth2AccessToken,
    oauth2RefreshToken: accountFields.oauth2RefreshToken,
    oauth2AccessTokenExpiresAt: accountFields.oauth2AccessTokenExpiresAt,
  },
  { additionalProperties: false },
);
export type UpdateLinkedAccountRequest = Static<typeof UpdateLinkedAccountRequest>;
