// Projects: leaves of the project group tree, each linked to a repository of a remote source.
import Type, { type Static } from 'typebox';
import { Name } from './names.js';
import { ProjectGroupRef, ProjectVisibility } from './projectgroup.js';

const RemoteFields = {
  /** Only "remotesource" is supported (checked by the server, with a message saying so). */
  remoteRepositoryConfigType: Type.String({ maxLength: 40 }),
  repositoryId: Type.String({ minLength: 1, maxLength: 256 }),
  repositoryPath: Type.String({ minLength: 1, maxLength: 1024 }),
};

export const Project = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Name,
    parentType: Type.Literal('projectgroup'),
    parentId: Type.String(),
    visibility: ProjectVisibility,
    ...RemoteFields,
    remoteSourceId: Type.String(),
    linkedAccountId: Type.String(),
    sshPrivateKey: Type.String(),
    skipSshHostKeyCheck: Type.Boolean(),
    passVarsToForkedPR: Type.Boolean(),
    webhookSecret: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    path: Type.String(),
    parentPath: Type.String(),
    ownerType: Type.Union([Type.Literal('org'), Type.Literal('user')]),
    ownerId: Type.String(),
    globalVisibility: ProjectVisibility,
  },
  { $id: 'Project', additionalProperties: false },
);
export type Project = Static<typeof Project>;

export const ProjectRef = Type.String({ minLength: 1, maxLength: 1024, description: 'an id or a path like org/<org>/<group>/<project>' });

export const CreateProjectRequest = Type.Object(
  {
    name: Name,
    parentRef: ProjectGroupRef,
    visibility: ProjectVisibility,
    ...RemoteFields,
    /** The remote source's id or name. */
    remoteSourceRef: Type.String({ minLength: 1, maxLength: 256 }),
    linkedAccountId: Type.String({ minLength: 1, maxLength: 256 }),
    sshPrivateKey: Type.Optional(Type.String({ maxLength: 16384 })),
    skipSshHostKeyCheck: Type.Optional(Type.Boolean()),
    passVarsToForkedPR: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateProjectRequest = Static<typeof CreateProjectRequest>;

/** PUT changes the fields given; a new `parentRef` moves the project (same owner only). */
export const UpdateProjectRequest = Type.Partial(CreateProjectRequest, { additionalProperties: false });
export type UpdateProjectRequest = Static<typeof UpdateProjectRequest>;
