// The bundle's own description: README.txt for the person who opens it, summary.json for a
// tool, and the lines the command prints. Says what is in it and what is deliberately not.
import type { Bundle } from './collect.js';

export interface BundleMeta {
  namespace: string;
  cluster?: string;
  context: string;
  server: string;
  createdAt: string;
  pluginVersion: string;
  tailLines: number;
}

export function contentsLines(b: Bundle): string[] {
  return [
    `${b.counts.resources} objects in resources/ (the configstore custom resources, and the Deployments, Services, Jobs and Pods the operator made)`,
    `${b.counts.events} events about them in events.yaml`,
    `${b.counts.logs} container logs in logs/<pod>/ and ${b.counts.operatorLogs} of the operator in logs/operator/`,
    `${b.redactions} values that looked like credentials replaced by [REDACTED]`,
    'no Secret: Secrets are never read, only their names as the objects reference them',
  ];
}

export function readme(b: Bundle, m: BundleMeta): string {
  return [
    `configstore support bundle (kubectl configstore report), ${m.createdAt}`,
    `namespace ${m.namespace}${m.cluster ? `, cluster ${m.cluster}` : ', every cluster'}; context ${m.context} (${m.server}); plugin ${m.pluginVersion}`,
    '',
    'Contents:',
    ...contentsLines(b).map((l) => `  - ${l}`),
    `  - logs are the last ${m.tailLines} lines of each container`,
    '',
    'Redaction: bearer and basic credentials, JWTs, AWS access key ids, passwords in URLs, presigned',
    'S3 signatures, the values of fields and variables named like a password, token, secret or key,',
    'private keys, and long random strings. Look through it before sharing anyway.',
    '',
    ...(b.notes.length ? ['Not collected:', ...b.notes.map((n) => `  - ${n}`)] : ['Everything listed above was collected.']),
    '',
  ].join('\n');
}

export function summaryJson(b: Bundle, m: BundleMeta): string {
  return JSON.stringify({ ...m, counts: b.counts, redactions: b.redactions, notes: b.notes, files: [...b.files.keys()].sort() }, null, 2) + '\n';
}
