// The backup inventory as rows: one per ConfigStoreBackup record (what `backups` prints and
// `status` names as the last good backup).
import type { ConfigStoreBackup } from '../../operator/api/backup.js';
import { formatBytes, table } from '../output.js';
import { conditionOf, sourceLabel } from '../ownership.js';

export interface BackupView {
  name: string;
  created: string;
  objects: number;
  bytes: number;
  source: string;
  available: 'True' | 'False' | 'Unknown';
  location: string;
  sha256: string;
  schedule?: string;
  backupLocation?: string;
}

export function backupView(b: ConfigStoreBackup): BackupView {
  const m = b.spec.manifest;
  return {
    name: b.metadata.name,
    created: m.createdAt,
    objects: m.objects,
    bytes: m.bytes,
    source: sourceLabel(b),
    available: conditionOf(b, 'Available')?.status ?? 'Unknown',
    location: `s3://${b.spec.location.bucket}/${b.spec.location.key}`,
    sha256: m.sha256,
    ...(b.spec.schedule ? { schedule: b.spec.schedule } : {}),
    ...(b.spec.backupLocation ? { backupLocation: b.spec.backupLocation } : {}),
  };
}

export function formatBackups(rows: BackupView[], wide: boolean): string {
  if (!rows.length) return '';
  const header = ['NAME', 'CREATED', 'OBJECTS', 'BYTES', 'SOURCE', 'AVAILABLE', ...(wide ? ['LISTED BY', 'LOCATION'] : [])];
  const cells = rows.map((r) => [
    r.name,
    r.created,
    String(r.objects),
    formatBytes(r.bytes),
    r.source,
    r.available,
    ...(wide ? [r.schedule ? `schedule/${r.schedule}` : r.backupLocation ? `location/${r.backupLocation}` : '-', r.location] : []),
  ]);
  return table(header, cells);
}
