// What differs between the operations, in one table: whether the cluster is fenced while it
// runs, the CLI arguments of its Job, how its result is checked, and whether it holds the
// maintenance afterwards. The steps ask the table; none tests `operation === …` itself.
import type { ConfigStoreMaintenance, ConfigStoreMaintenanceSpec, Operation, OperationResult } from '../../api/index.js';
import { formatS3Url } from '../../../configstore/types/index.js';
import type { S3Object } from '../../api/index.js';
import { encryptionArgs, urlSse } from './jobsecrets.js';

export interface OperationHandler {
  /** Fence the cluster (maintenance) for the operation. */
  needsMaintenance(spec: ConfigStoreMaintenanceSpec): boolean;
  /** The Job that does the work: the CLI's arguments and the result line it prints. Absent: no Job, the operation is the hold itself. */
  job?: {
    args(spec: ConfigStoreMaintenanceSpec): string[];
    resultOperation: 'export' | 'import';
  };
  /** What is wrong with the Job's result given the spec (undefined: it fits). */
  checkResult?(spec: ConfigStoreMaintenanceSpec, result: OperationResult): string | undefined;
  /** The revision every instance must serve before the operation is done (undefined: none). */
  mustServe?(spec: ConfigStoreMaintenanceSpec, result: OperationResult): string | undefined;
  /** Refuse to run unless the cluster never held data, checked once every instance is fenced. */
  requiresEmpty?(spec: ConfigStoreMaintenanceSpec): boolean;
  /** The message of the step after the fence is up, as the status shows it. */
  runningMessage: string;
}

/** The object as the CLI's s3:// URL: where, and the server-side encryption that goes in a URL. */
const s3Url = (o: S3Object) => formatS3Url({ bucket: o.bucket, key: o.key, endpoint: o.endpoint, region: o.region, ...urlSse(o) });

const exportHandler: OperationHandler = {
  // exports are consistent without it; quiesce is for a migration (no write after the export)
  needsMaintenance: (spec) => !!spec.export?.quiesce,
  job: { args: (spec) => ['export', '--to', s3Url(spec.export!.destination.s3), ...encryptionArgs(spec)], resultOperation: 'export' },
  runningMessage: 'starting the export Job',
};

const importHandler: OperationHandler = {
  // a dry run changes nothing: the cluster keeps serving
  needsMaintenance: (spec) => !spec.import?.dryRun,
  job: {
    args: (spec) => {
      const imp = spec.import!;
      return [
        'import',
        '--from',
        s3Url(imp.source.s3),
        ...(imp.sha256 ? ['--sha256', imp.sha256] : []),
        ...(imp.dryRun ? ['--dry-run'] : []),
        ...encryptionArgs(spec),
      ];
    },
    resultOperation: 'import',
  },
  checkResult: (spec, result) => {
    const imp = spec.import!;
    if (imp.sha256 && result.sha256 !== imp.sha256) return `imported sha256 ${result.sha256} is not spec.import.sha256 ${imp.sha256}`;
    if (!!result.dryRun !== !!imp.dryRun) return `the Job ran with dryRun=${!!result.dryRun}, the spec asked for ${!!imp.dryRun}`;
    return undefined;
  },
  requiresEmpty: (spec) => !!spec.import?.requireEmpty,
  // a restore is done when every instance serves it, not when the Job says so
  mustServe: (spec, result) => (!spec.import!.dryRun && result.revision ? result.revision : undefined),
  runningMessage: 'starting the import Job',
};

const maintenanceHandler: OperationHandler = {
  needsMaintenance: () => true,
  runningMessage: 'the cluster is held in maintenance; delete this resource to release it',
};

export const operationHandlers: Record<Operation, OperationHandler> = {
  Export: exportHandler,
  Import: importHandler,
  Maintenance: maintenanceHandler,
};

export const handlerOf = (cr: ConfigStoreMaintenance): OperationHandler => operationHandlers[cr.spec.operation];
