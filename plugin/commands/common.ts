// What backup, restore and maintenance share: -o for what they create, --wait/--timeout, and
// how an operation's end is reported (exit code 1 when it failed).
import type { Command } from 'commander';
import type { ConfigStoreMaintenance } from '../../operator/api/maintenance.js';
import type { Ctx } from '../context.js';
import { PluginError, usageError } from '../errors.js';
import { endLine, follow, operationView, outcomeOf } from '../follow.js';
import type { MaintenanceManifest } from '../manifests.js';
import { parseDuration, serialize, type Format } from '../output.js';

export interface WaitFlags {
  wait?: boolean;
  timeout?: string;
}

export interface Waiting {
  wait: boolean;
  timeoutMs?: number;
}

/** Parsed before anything is created: a bad --timeout changes nothing. */
export function waitingOf(flags: WaitFlags): Waiting {
  if (flags.timeout !== undefined && !flags.wait) throw usageError('--timeout goes with --wait');
  return { wait: flags.wait === true, ...(flags.timeout !== undefined ? { timeoutMs: parseDuration(flags.timeout, '--timeout') } : {}) };
}

export function addWaitOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--wait', `follow ${what} to its end, with progress on stderr; exit code 1 when it fails`)
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 10m); the operation goes on');
}

/** --dry-run: the object as it would be created, YAML unless -o json. */
export function printManifest(ctx: Ctx, manifest: object, format: Format): void {
  ctx.io.out(serialize(manifest, format === 'json' ? 'json' : 'yaml'));
}

/** Creates it, then either says so or follows it (--wait) and reports its end. */
export async function createAndReport(
  ctx: Ctx,
  manifest: MaintenanceManifest,
  o: Waiting & { format: Format; note?: string; untilHeld?: boolean },
): Promise<void> {
  const kube = ctx.kube();
  const created = (await kube.create('maintenance', manifest)) as ConfigStoreMaintenance;
  if (!o.wait) {
    if (o.format !== 'table') return ctx.io.out(serialize(operationView(created), o.format === 'json' ? 'json' : 'yaml'));
    ctx.io.out(`configstoremaintenance/${manifest.metadata.name} created${o.note ? `: ${o.note}` : ''}\n`);
    ctx.io.err(`follow it: kubectl get csm ${manifest.metadata.name} -n ${kube.namespace} -w (or --wait)\n`);
    return;
  }
  await reportEnd(ctx, manifest.metadata.name, o);
}

export async function reportEnd(ctx: Ctx, name: string, o: Waiting & { format: Format; untilHeld?: boolean }): Promise<void> {
  const end = await follow(ctx.kube(), name, ctx.io, { ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), untilHeld: o.untilHeld === true });
  if (o.format !== 'table') ctx.io.out(serialize(operationView(end), o.format === 'json' ? 'json' : 'yaml'));
  else if (outcomeOf(end, o.untilHeld) !== 'failed') ctx.io.out(endLine(end) + '\n');
  if (outcomeOf(end, o.untilHeld) === 'failed') throw new PluginError(endLine(end));
}
