// The `kubectl configstore` command: global flags as kubectl's (-n, --context, --kubeconfig),
// the subcommands, and errors as one line with the project's exit codes (errors.ts). run() is
// the whole plugin on an Io, so the tests drive it in-process; main.ts gives it the process.
import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { addBackupCommand } from './commands/backup.js';
import { addBackupsCommand } from './commands/backups.js';
import { addMaintenanceCommand } from './commands/maintenance.js';
import { addReportCommand } from './commands/report.js';
import { addRestoreCommand } from './commands/restore.js';
import { addStatusCommand } from './commands/status.js';
import type { Ctx } from './context.js';
import { exitCodes, PluginError } from './errors.js';
import type { Io } from './io.js';
import { Kube } from './kube.js';
import { loadKube, type KubeFlags } from './kubeconfig.js';

const exitCodesHelp = `
Exit codes:
  0  done
  1  a failure: the API server refused or could not be reached, the operation failed (--wait)
  2  bad usage or input: flags, a cluster or backup that does not exist, no kubeconfig, no confirmation`;

export async function run(argv: string[], io: Io): Promise<number> {
  const program = new Command('kubectl configstore')
    .description("configstore clusters on Kubernetes: status, backups, restore, maintenance, support bundles (a client of the operator's custom resources)")
    .version(packageJson.version)
    .option('-n, --namespace <namespace>', "the namespace (default: the context's, else default)")
    .option('--context <name>', 'the kubeconfig context (default: its current context)')
    .option('--kubeconfig <file>', 'the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .addHelpText('after', exitCodesHelp)
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (text, write) =>
        write(
          `kubectl configstore: ${text
            .replace(/^error: /, '')
            .trimEnd()
            .replaceAll('\n', ' ')}\n`,
        ),
    });
  let kube: Kube | undefined;
  const ctx: Ctx = { io, kube: () => (kube ??= new Kube(loadKube(program.opts<KubeFlags>(), io.env, io.home))) };
  addStatusCommand(program, ctx);
  addBackupCommand(program, ctx);
  addBackupsCommand(program, ctx);
  addRestoreCommand(program, ctx);
  addMaintenanceCommand(program, ctx);
  addReportCommand(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodes.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage; // commander printed it
    const known = err instanceof PluginError;
    io.err(`kubectl configstore: ${known ? err.message : ((err as Error).message ?? String(err)).split('\n')[0]}\n`);
    return known ? err.exitCode : exitCodes.failure;
  }
}
