// Remote sources: the git hosts (gitea, github, gitlab) users log in with and projects come from.
import Type, { type Static } from 'typebox';
import { Name } from './names.js';

export const RemoteSourceType = Type.Enum(['gitea', 'github', 'gitlab'], { description: 'gitea, github or gitlab' });
export type RemoteSourceType = Static<typeof RemoteSourceType>;

export const RemoteSourceAuthType = Type.Enum(['password', 'oauth2'], { description: 'password or oauth2' });
export type RemoteSourceAuthType = Static<typeof RemoteSourceAuthType>;

/** Which auth types each remote source type supports (Agola's rule). */
export const supportedAuthTypes: Record<RemoteSourceType, RemoteSourceAuthType[]> = {
  gitea: ['password', 'oauth2'],
  github: ['oauth2'],
  gitlab: ['oauth2'],
};

/** Format `http-url` of the schemas: a URL that parses, with scheme http or https. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const settings = {
  name: Name,
  type: RemoteSourceType,
  apiUrl: Type.String({ minLength: 1, maxLength: 2048, format: 'http-url', description: 'an http:// or https:// URL' }),
  authType: RemoteSourceAuthType,
  clientId: Type.Optional(Type.String({ maxLength: 1024 })),
  clientSecret: Type.Optional(Type.String({ maxLength: 4096 })),
  skipVerify: Type.Optional(Type.Boolean({ description: 'skip TLS verification of the remote API' })),
  sshHostKey: Type.Optional(Type.String({ maxLength: 16384 })),
  skipSshHostKeyCheck: Type.Optional(Type.Boolean()),
  registrationEnabled: Type.Optional(Type.Boolean({ description: 'default true' })),
  loginEnabled: Type.Optional(Type.Boolean({ description: 'default true' })),
};

/**
 * Returned with its client secret: configstore is an internal service and the gateway
 * needs the secret for the oauth2 flows, as in Agola.
 */
export const RemoteSource = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    ...settings,
    skipVerify: Type.Boolean(),
    skipSshHostKeyCheck: Type.Boolean(),
    registrationEnabled: Type.Boolean(),
    loginEnabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'RemoteSource', additionalProperties: false },
);
export type RemoteSource = Static<typeof RemoteSource>;

/** Agola's rules across fields, as the schema says them: the auth types of each type; oauth2's client. */
const settingsRules = {
  allOf: [
    ...Object.entries(supportedAuthTypes).map(([type, auths]) => ({
      if: { properties: { type: { const: type } } },
      then: { properties: { authType: { enum: auths } } },
    })),
    {
      if: { properties: { authType: { const: 'oauth2' } } },
      then: { required: ['clientId', 'clientSecret'], properties: { clientId: { minLength: 1 }, clientSecret: { minLength: 1 } } },
    },
  ],
};

export const CreateRemoteSourceRequest = Type.Object(settings, { additionalProperties: false, ...settingsRules });
export type CreateRemoteSourceRequest = Static<typeof CreateRemoteSourceRequest>;

/** Replaces every setting. An `id` in the body is ignored: the ref names the source. */
export const UpdateRemoteSourceRequest = Type.Object(
  { id: Type.Optional(Type.String({ maxLength: 256 })), ...settings },
  { additionalProperties: false, ...settingsRules },
);
export type UpdateRemoteSourceRequest = Static<typeof UpdateRemoteSourceRequest>;
