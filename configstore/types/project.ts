// Projects: leaves of the project group tree, each linked to a repository of a remote source.
import Type, { type Static } from 'typebox';
import { Name, NamedRef, pathRefPatterns, Uuid } from './names.js';
import { ProjectGroupRef, ProjectVisibility } from './projectgroup.js';

const RemoteFields = {
  /** As stored and exported (the importer checks it with a message of its own); requests: RequestConfigType. */
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

/** An id, or a path of at least three segments. */
export const ProjectRef = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: pathRefPatterns.project,
  description: 'an id (a UUID) or a path like org/<org>/<group>/<project> or user/<user>/<project>, each segment a name',
});

export const CreateProjectRequest = Type.Object(
  {
    name: Name,
    parentRef: ProjectGroupRef,
    visibility: ProjectVisibility,
    ...RemoteFields,
    /** Only "remotesource" is supported. */
    remoteRepositoryConfigType: Type.Enum(['remotesource'], { description: 'remotesource (the only type supported)' }),
    /** The remote source's id or name. */
    remoteSourceRef: NamedRef,
    linkedAccountId: Uuid,
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
