// `restore <backup> --to <cluster>`: an Import of a ConfigStoreBackup record (its location and
// sha256) into an existing cluster, after a confirmation; --dry-run prints it for a GitOps
// repository; --bootstrap prints the spec.bootstrap.restore of a new cluster instead.
import type { Command } from 'commander';
import type { ConfigStoreBackup } from '../../operator/api/backup.js';
import type { Ctx } from '../context.js';
import { confirm } from '../confirm.js';
import { usageError } from '../errors.js';
import type { Kube } from '../kube.js';
import { bootstrapSnippet, importMaintenance, restoreName } from '../manifests.js';
import { formatBytes, parseFormat, serialize, type Format } from '../output.js';
import { backupsOf, isAvailable, latestOf } from '../ownership.js';
import { addWaitOptions, createAndReport, printManifest, waitingOf, type WaitFlags } from './common.js';

interface RestoreFlags extends WaitFlags {
  to?: string;
  bootstrap?: boolean;
  backupLocation?: string;
  validateOnly?: boolean;
  name?: string;
  dryRun?: boolean;
  yes?: boolean;
  output?: string;
}

export function addRestoreCommand(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('restore')
    .description(
      "restore a backup into a cluster (an Import ConfigStoreMaintenance: the cluster's data is replaced), or print it (--dry-run), or print a new cluster's bootstrap (--bootstrap)",
    )
    .argument('<backup>', 'a ConfigStoreBackup name, or latest (the newest Available one of the --to cluster)')
    .option('--to <cluster>', 'the ConfigStoreCluster to restore into')
    .option('--bootstrap', "print a ConfigStoreCluster's spec.bootstrap.restore for this backup (a new cluster restores it once at creation)")
    .option('--backup-location <name>', 'with --bootstrap and latest: only the backups this ConfigStoreBackupLocation lists')
    .option('--validate-only', 'an Import with dryRun: the server reads and checks the whole export, changes nothing')
    .option('--name <name>', 'name of the ConfigStoreMaintenance (default <cluster>-restore-<UTC time>)')
    .option('--dry-run', 'print the ConfigStoreMaintenance (YAML, or -o json) instead of creating it')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('-o, --output <format>', 'table, json or yaml');
  addWaitOptions(cmd, 'the import').action(async (backup: string, flags: RestoreFlags) => {
    const format = parseFormat(flags.output, ['table', 'json', 'yaml']);
    const waiting = waitingOf(flags);
    if (flags.backupLocation && !flags.bootstrap) throw usageError('--backup-location goes with --bootstrap');
    if (flags.bootstrap) return printBootstrap(ctx, backup, flags, format);
    if (!flags.to) throw usageError('--to <cluster> is required (or --bootstrap, for a new cluster)');
    const kube = ctx.kube();
    const cluster = flags.dryRun ? await kube.get('cluster', flags.to) : await kube.requireCluster(flags.to);
    const record = await resolveBackup(kube, backup, { name: flags.to, ...(cluster?.metadata.uid ? { uid: cluster.metadata.uid } : {}) });
    const manifest = importMaintenance({
      name: flags.name ?? restoreName(flags.to, ctx.io.now()),
      namespace: kube.namespace,
      cluster: flags.to,
      backup: record,
      validateOnly: flags.validateOnly === true,
    });
    if (flags.dryRun) return printManifest(ctx, manifest, format);
    const m = record.spec.manifest;
    if (!flags.validateOnly)
      await confirm(
        ctx.io,
        `Restore backup ${record.metadata.name} (created ${m.createdAt}, ${m.objects} objects, ${formatBytes(m.bytes)}) into cluster ${flags.to} in namespace ${kube.namespace}? ` +
          'Its data is replaced (writes made since that backup are lost) and it is in maintenance meanwhile.',
        { yes: flags.yes === true, what: `restoring into cluster ${flags.to}` },
      );
    await createAndReport(ctx, manifest, { ...waiting, format, note: `Import of backup ${record.metadata.name} into cluster ${flags.to}` });
  });
}

/** A record by name, or `latest` of the cluster; it must be Available (its export still in the bucket). */
async function resolveBackup(kube: Kube, backup: string, cluster: { name: string; uid?: string }): Promise<ConfigStoreBackup> {
  if (backup === 'latest') {
    const [all, schedules] = await Promise.all([kube.list('backup'), kube.list('schedule')]);
    const latest = latestOf(backupsOf(cluster, all, schedules));
    if ('error' in latest)
      throw usageError(`${latest.error} of cluster ${cluster.name} in namespace ${kube.namespace} (kubectl configstore backups lists them)`);
    return latest.backup;
  }
  const record = await kube.get('backup', backup);
  if (!record) throw usageError(`no ConfigStoreBackup "${backup}" in namespace ${kube.namespace} (kubectl configstore backups lists them)`);
  if (!isAvailable(record))
    throw usageError(
      `backup ${backup} is not Available (its export is no longer in the bucket, or the operator has not checked it yet): kubectl describe csb ${backup}`,
    );
  return record;
}

async function printBootstrap(ctx: Ctx, backup: string, flags: RestoreFlags, format: Format): Promise<void> {
  // latest stays latest: the operator picks the newest when the cluster is created
  const record = backup === 'latest' ? undefined : await ctx.kube().get('backup', backup);
  if (backup !== 'latest' && !record)
    throw usageError(`no ConfigStoreBackup "${backup}" in namespace ${ctx.kube().namespace} (kubectl configstore backups lists them)`);
  const snippet = bootstrapSnippet({
    backup,
    ...(flags.to ? { cluster: flags.to } : {}),
    ...(flags.backupLocation ? { backupLocation: flags.backupLocation } : {}),
    ...(record ? { sha256: record.spec.manifest.sha256 } : {}),
  });
  if (format === 'json') return ctx.io.out(serialize(snippet, 'json'));
  ctx.io.out(
    `# Merge into the ConfigStoreCluster's manifest (with its image, etcd and objectStorage): a new cluster restores\n` +
      `# ${backup === 'latest' ? 'the newest Available backup' : `backup ${backup}`} once, and only into an empty cluster (docs/operator.md, Restore at creation).\n` +
      serialize(snippet, 'yaml'),
  );
}
