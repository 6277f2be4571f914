// `status [cluster]`: the cluster as the operator reports it, its schedules, last good backup
// and next run, and the operations still going (views/status.ts).
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { parseFormat, serialize } from '../output.js';
import { clusterStatusView, formatClusterStatus } from '../views/status.js';

export function addStatusCommand(program: Command, ctx: Ctx): void {
  program
    .command('status')
    .description("a cluster's readiness, instances and their modes, last good backup and next scheduled run (every cluster of the namespace without a name)")
    .argument('[cluster]', 'a ConfigStoreCluster of the namespace')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (name: string | undefined, opts: { output?: string }) => {
      const format = parseFormat(opts.output, ['table', 'json', 'yaml']);
      const kube = ctx.kube();
      const clusters = name ? [await kube.requireCluster(name)] : await kube.list('cluster');
      const [schedules, backups, operations] = await Promise.all([kube.list('schedule'), kube.list('backup'), kube.list('maintenance')]);
      const views = clusters.map((c) => clusterStatusView(c, { schedules, backups, operations }));
      if (format !== 'table') return ctx.io.out(serialize(name ? views[0] : { namespace: kube.namespace, items: views }, format));
      if (!views.length) return ctx.io.err(`No ConfigStoreCluster in namespace ${kube.namespace}.\n`);
      ctx.io.out(views.map((v) => formatClusterStatus(v, ctx.io.now())).join('\n'));
    });
}
