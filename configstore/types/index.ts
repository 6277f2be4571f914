// Exported API types and their JSON schemas (TypeBox: one definition gives the static
// type, the fastify validation and the OpenAPI document).
export * from './names.js';
export * from './user.js';
export * from './etcd.js';
export * from './etcdcredentials.js';
export * from './list.js';
export * from './error.js';
export * from './formats.js';
// users (tokens, linked accounts), orgs, members, remote sources
export * from './token.js';
export * from './linkedaccount.js';
export * from './org.js';
export * from './remotesource.js';
// project groups, projects, secrets, variables
export * from './projectgroup.js';
export * from './project.js';
export * from './secret.js';
export * from './variable.js';
// export format
export * from './export.js';
// the manifest an export to S3 writes beside itself (its commit marker)
export * from './exportmanifest.js';
// the owner marker of a backup folder (one cluster per folder)
export * from './prefixowner.js';
// the result line of `configstore export|import` (read by the operator)
export * from './dataopresult.js';
// object storage URLs (file://, s3://)
export * from './objectstorageurl.js';
// maintenance mode, instance registry
export * from './maintenance.js';
