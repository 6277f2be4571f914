// Secrets of projects and project groups; a project sees its own and its ancestors' (tree).
import Type, { type Static } from 'typebox';
import { Name } from './names.js';

/** Which kind of object a secret or variable belongs to. */
export const ConfigParentType = Type.Union([Type.Literal('project'), Type.Literal('projectgroup')]);
export type ConfigParentType = Static<typeof ConfigParentType>;

const SecretData = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 65536 }), { maxProperties: 200 });

export const Secret = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Name,
    parentType: ConfigParentType,
    parentId: Type.String(),
    /** Path of the project or group the secret belongs to. */
    parentPath: Type.String(),
    type: Type.Literal('internal'),
    data: SecretData,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Secret', additionalProperties: false },
);
export type Secret = Static<typeof Secret>;

export const CreateSecretRequest = Type.Object(
  {
    name: Name,
    /** Only "internal" is supported (checked by the server, with a message saying so). */
    type: Type.String({ maxLength: 40 }),
    /** Non-empty for internal secrets. */
    data: SecretData,
  },
  { additionalProperties: false },
);
export type CreateSecretRequest = Static<typeof CreateSecretRequest>;

/** PUT changes the fields given (`name` renames). */
export const UpdateSecretRequest = Type.Partial(CreateSecretRequest, { additionalProperties: false });
export type UpdateSecretRequest = Static<typeof UpdateSecretRequest>;

/** `tree=true` adds the secrets (or variables) inherited from every ancestor group, nearest first. */
export const ConfigListQuery = Type.Object(
  {
    tree: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ConfigListQuery = Static<typeof ConfigListQuery>;
