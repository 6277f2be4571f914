// The CustomResourceDefinitions, generated from the TypeBox schemas of this folder.
// scripts/gen-crds.ts writes them to crds/; crd.test.ts fails when crds/ is stale.
import { apiVersion as _apiVersion, group, version } from './common.js';
import { clusterKind, clusterPrinterColumns, ConfigStoreClusterSpec, ConfigStoreClusterStatus } from './cluster.js';
import { backupKind, backupPrinterColumns, ConfigStoreBackupSpec, ConfigStoreBackupStatus } from './backup.js';
import { backupLocationKind, backupLocationPrinterColumns, ConfigStoreBackupLocationSpec, ConfigStoreBackupLocationStatus } from './backuplocation.js';
import { backupScheduleKind, backupSchedulePrinterColumns, ConfigStoreBackupScheduleSpec, ConfigStoreBackupScheduleStatus } from './backupschedule.js';
import { ConfigStoreMaintenanceSpec, ConfigStoreMaintenanceStatus, maintenanceKind, maintenancePrinterColumns } from './maintenance.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A TypeBox schema as a structural OpenAPI v3 schema: plain JSON, no `$id`, no `additionalProperties: false` (the API server prunes unknown fields). */
export function structural(schema: unknown): Json {
  const plain = JSON.parse(JSON.stringify(schema)) as Json;
  const clean = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(clean);
    if (node === null || typeof node !== 'object') return node;
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$id' || (k === 'additionalProperties' && v === false)) continue;
      // property names and enum/default values are data, not schemas: copy them as they are
      out[k] = k === 'enum' || k === 'default' || k === 'x-kubernetes-validations' ? v : clean(v);
    }
    return out;
  };
  return clean(plain);
}

interface KindNames {
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
}

/**
 * What the API server serves as the status of an object no reconciler has written yet. kstatus
 * (Flux's health checks) takes an object without status for Current; an observedGeneration
 * behind metadata.generation makes it InProgress until the operator's first status write
 * (Flux's own CRDs do the same). Only the status object is defaulted, not the field: a status
 * written without it stays without it.
 */
export const unobservedStatus = { observedGeneration: -1 } as const;

function statusSchema(kind: string, status: unknown): Json {
  const schema = structural(status) as { [k: string]: Json };
  const props = schema.properties as { [k: string]: Json } | undefined;
  if (!props?.observedGeneration) throw new Error(`${kind}: the status needs observedGeneration (kstatus, unobservedStatus)`);
  return { ...schema, default: { ...unobservedStatus } };
}

function crd(names: KindNames, spec: unknown, status: unknown, printerColumns: unknown[], description: string) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: ['configstore'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: structural(spec),
                status: statusSchema(names.kind, status),
              },
            },
          },
        },
      ],
    },
  };
}

export const apiVersion = _apiVersion;

export function customResourceDefinitions() {
  return [
    crd(
      clusterKind,
      ConfigStoreClusterSpec,
      ConfigStoreClusterStatus,
      clusterPrinterColumns,
      'A configstore cluster run by the operator: a Deployment and a Service on etcd and object storage.',
    ),
    crd(
      maintenanceKind,
      ConfigStoreMaintenanceSpec,
      ConfigStoreMaintenanceStatus,
      maintenancePrinterColumns,
      'One maintenance, export or import of a ConfigStoreCluster, run once. Delete it to abort (maintenance is released).',
    ),
    crd(
      backupScheduleKind,
      ConfigStoreBackupScheduleSpec,
      ConfigStoreBackupScheduleStatus,
      backupSchedulePrinterColumns,
      'Exports of a ConfigStoreCluster on a cron schedule, each run a ConfigStoreMaintenance named <schedule>-<UTC slot>, pruned by a retention policy that never deletes the last good backup.',
    ),
    crd(
      backupKind,
      ConfigStoreBackupSpec,
      ConfigStoreBackupStatus,
      backupPrinterColumns,
      'A backup found in a bucket (an export and its manifest), recorded by the operator from what the bucket holds; Missing when its manifest disappeared. Read-only.',
    ),
    crd(
      backupLocationKind,
      ConfigStoreBackupLocationSpec,
      ConfigStoreBackupLocationStatus,
      backupLocationPrinterColumns,
      'A bucket folder whose backups the operator lists as ConfigStoreBackup records (read only: nothing is written there), e.g. the backups of a lost cluster to restore from.',
    ),
  ];
}
