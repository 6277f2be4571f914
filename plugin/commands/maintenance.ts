// `maintenance on|off <cluster>`: holds the cluster in maintenance (writes answer 503) with a
// Maintenance ConfigStoreMaintenance named <cluster>-maintenance, and deletes it to end it (its
// finalizer releases the maintenance). Both ask first on a terminal.
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { confirm } from '../confirm.js';
import { PluginError, usageError } from '../errors.js';
import { operationView } from '../follow.js';
import { holdMaintenance, maintenanceName } from '../manifests.js';
import { formatSpan, parseFormat, serialize } from '../output.js';
import { isFinished, operationsOf } from '../ownership.js';
import { addWaitOptions, createAndReport, reportEnd, waitingOf, type WaitFlags } from './common.js';

interface MaintenanceFlags extends WaitFlags {
  yes?: boolean;
  output?: string;
}

export function addMaintenanceCommand(program: Command, ctx: Ctx): void {
  const group = program.command('maintenance').description('hold a cluster in maintenance (writes answer 503), or end it');
  const on = group
    .command('on')
    .description('creates a Maintenance ConfigStoreMaintenance <cluster>-maintenance: the cluster stays in maintenance while it exists')
    .argument('<cluster>')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('-o, --output <format>', 'table, json or yaml');
  addWaitOptions(on, 'it until every instance is in maintenance').action(async (cluster: string, flags: MaintenanceFlags) => {
    const format = parseFormat(flags.output, ['table', 'json', 'yaml']);
    const waiting = waitingOf(flags);
    const kube = ctx.kube();
    await kube.requireCluster(cluster);
    const name = maintenanceName(cluster);
    const existing = await kube.get('maintenance', name);
    if (existing && isFinished(existing))
      throw usageError(
        `ConfigStoreMaintenance ${name} exists and is ${existing.status?.phase}: end it with \`maintenance off ${cluster}\`, then turn it on again`,
      );
    if (existing) {
      if (waiting.wait) return reportEnd(ctx, name, { ...waiting, format, untilHeld: true });
      if (format !== 'table') return ctx.io.out(serialize(operationView(existing), format === 'json' ? 'json' : 'yaml'));
      return ctx.io.out(`cluster ${cluster} is already in maintenance (configstoremaintenance/${name}, ${existing.status?.phase ?? 'Pending'})\n`);
    }
    await confirm(ctx.io, `Put cluster ${cluster} in namespace ${kube.namespace} in maintenance? Writes answer 503 until \`maintenance off\`.`, {
      yes: flags.yes === true,
      what: `maintenance on for cluster ${cluster}`,
    });
    await createAndReport(ctx, holdMaintenance({ namespace: kube.namespace, cluster }), {
      ...waiting,
      format,
      untilHeld: true,
      note: `cluster ${cluster} enters maintenance (writes answer 503 once every instance is fenced)`,
    });
  });

  const off = group
    .command('off')
    .description('deletes <cluster>-maintenance: the operator releases the maintenance and the cluster serves writes again')
    .argument('<cluster>')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('-o, --output <format>', 'table, json or yaml');
  addWaitOptions(off, 'it until the maintenance is released').action(async (cluster: string, flags: MaintenanceFlags) => {
    const format = parseFormat(flags.output, ['table', 'json', 'yaml']);
    const waiting = waitingOf(flags);
    const kube = ctx.kube();
    const name = maintenanceName(cluster);
    const existing = await kube.get('maintenance', name);
    const report = (state: string) =>
      format === 'table' ? ctx.io.out(`cluster ${cluster}: ${state}\n`) : ctx.io.out(serialize({ cluster, name, state }, format));
    if (!existing) {
      const others = operationsOf(cluster, await kube.list('maintenance')).filter((o) => o.spec.operation === 'Maintenance' && !isFinished(o));
      if (others.length)
        throw usageError(
          `no ${name} to delete: cluster ${cluster} is held by ${others.map((o) => o.metadata.name).join(', ')}, not made by this plugin (kubectl delete csm NAME -n ${kube.namespace})`,
        );
      await kube.requireCluster(cluster);
      return report('not in maintenance (nothing to delete)');
    }
    await confirm(ctx.io, `End the maintenance of cluster ${cluster} in namespace ${kube.namespace} (delete ${name})?`, {
      yes: flags.yes === true,
      what: `maintenance off for cluster ${cluster}`,
    });
    await kube.delete('maintenance', name);
    if (!waiting.wait) return report(`maintenance ending (configstoremaintenance/${name} deleted; the operator releases it)`);
    const started = ctx.io.now().getTime();
    while (await kube.get('maintenance', name)) {
      const elapsed = ctx.io.now().getTime() - started;
      if (waiting.timeoutMs !== undefined && elapsed >= waiting.timeoutMs)
        throw new PluginError(
          `${name} is still being deleted after ${formatSpan(elapsed)} (its finalizer releases the maintenance): kubectl describe csm ${name}`,
        );
      if (ctx.io.stderrIsTTY) ctx.io.err(`\r\x1b[Kwaiting for the operator to release the maintenance (${formatSpan(elapsed)})`);
      await ctx.io.sleep(ctx.io.pollMs);
    }
    if (ctx.io.stderrIsTTY) ctx.io.err('\r\x1b[K');
    report('maintenance ended');
  });
}
