// `backup <cluster>`: a ConfigStoreMaintenance Export now, to --to or to the folder of the
// cluster's schedule (manifests.ts: exportDestination). Not labelled with the schedule, so
// its retention never prunes it; the schedule's inventory still lists it (same folder).
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { backupName, exportDestination, exportMaintenance } from '../manifests.js';
import { parseFormat } from '../output.js';
import { addWaitOptions, createAndReport, printManifest, waitingOf, type WaitFlags } from './common.js';

interface BackupFlags extends WaitFlags {
  to?: string;
  schedule?: string;
  credentialsSecret?: string;
  quiesce?: boolean;
  name?: string;
  dryRun?: boolean;
  output?: string;
}

export function addBackupCommand(program: Command, ctx: Ctx): void {
  const cmd = program
    .command('backup')
    .description("export a cluster now: creates a ConfigStoreMaintenance Export (destination from --to, else the cluster's schedule)")
    .argument('<cluster>', 'the ConfigStoreCluster to export')
    .option('--to <url>', 's3://bucket/key or s3://bucket/folder/ (then <name>.ndjson.gz), with ?endpoint=URL&region=NAME')
    .option('--schedule <name>', 'take the destination folder from this ConfigStoreBackupSchedule (needed when the cluster has several)')
    .option('--credentials-secret <name>', "Secret with the S3 keys (default: the schedule's, else the cluster's object storage's)")
    .option('--quiesce', 'enter maintenance for the export (no write lands after it)')
    .option('--name <name>', 'name of the ConfigStoreMaintenance (default <cluster>-backup-<UTC time>)')
    .option('--dry-run', 'print the ConfigStoreMaintenance (YAML, or -o json) instead of creating it')
    .option('-o, --output <format>', 'table, json or yaml');
  addWaitOptions(cmd, 'the export').action(async (cluster: string, flags: BackupFlags) => {
    const format = parseFormat(flags.output, ['table', 'json', 'yaml']);
    const waiting = waitingOf(flags);
    const kube = ctx.kube();
    const target = await kube.requireCluster(cluster);
    const name = flags.name ?? backupName(cluster, ctx.io.now());
    const destination = exportDestination({
      name,
      cluster: target,
      schedules: await kube.list('schedule'),
      ...(flags.to ? { to: flags.to } : {}),
      ...(flags.schedule ? { schedule: flags.schedule } : {}),
      ...(flags.credentialsSecret ? { credentialsSecret: flags.credentialsSecret } : {}),
    });
    const manifest = exportMaintenance({ name, namespace: kube.namespace, cluster, s3: destination.s3, quiesce: flags.quiesce === true });
    if (flags.dryRun) return printManifest(ctx, manifest, format);
    const where = `s3://${destination.s3.bucket}/${destination.s3.key}`;
    await createAndReport(ctx, manifest, { ...waiting, format, note: `Export of cluster ${cluster} to ${where} (from ${destination.from})` });
  });
}
