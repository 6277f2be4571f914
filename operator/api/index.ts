// The operator's API: both kinds' schemas and types, and their CRDs.
export * from './common.js';
export * from './cluster.js';
export * from './maintenance.js';
export * from './backupschedule.js';
export * from './backup.js';
export * from './backuplocation.js';
export * from './defaults.js';
export { customResourceDefinitions, structural, unobservedStatus } from './crd.js';
export * from './labels.js';
