// `backups [cluster]`: the inventory, the ConfigStoreBackup records (newest first), of one
// cluster (its schedules' records and those whose manifest names it) or of the namespace.
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { usageError } from '../errors.js';
import { parseFormat, serialize } from '../output.js';
import { backupsOf, newestFirst } from '../ownership.js';
import { backupView, formatBackups } from '../views/backups.js';

export function addBackupsCommand(program: Command, ctx: Ctx): void {
  program
    .command('backups')
    .description('the backups the operator lists (ConfigStoreBackup records), newest first: name, created, objects, bytes, source cluster, available')
    .argument('[cluster]', "only this cluster's backups (it may be gone: its backups are still listed by name)")
    .option('-o, --output <format>', 'table, wide (with where each is), json or yaml')
    .action(async (name: string | undefined, opts: { output?: string }) => {
      const format = parseFormat(opts.output, ['table', 'wide', 'json', 'yaml']);
      const kube = ctx.kube();
      const [all, schedules, cluster] = await Promise.all([kube.list('backup'), kube.list('schedule'), name ? kube.get('cluster', name) : undefined]);
      const records = name ? backupsOf({ name, ...(cluster?.metadata.uid ? { uid: cluster.metadata.uid } : {}) }, all, schedules) : all;
      if (name && !cluster && !records.length)
        throw usageError(`no ConfigStoreCluster "${name}" in namespace ${kube.namespace}, and no ConfigStoreBackup of a cluster of that name`);
      const rows = newestFirst(records).map(backupView);
      if (format === 'json' || format === 'yaml')
        return ctx.io.out(serialize({ namespace: kube.namespace, ...(name ? { cluster: name } : {}), items: rows }, format));
      if (!rows.length) return ctx.io.err(`No ConfigStoreBackup${name ? ` of cluster ${name}` : ''} in namespace ${kube.namespace}.\n`);
      ctx.io.out(formatBackups(rows, format === 'wide'));
    });
}
