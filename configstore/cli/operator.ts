// `configstore operator`: the operator process, from the same image and CLI as the
// instances. Settings from flags or environment, checked before anything starts.
import { Option, type Command } from 'commander';
import { parseListen } from './settings.js';
import type { OperatorSettings } from '../../operator/settings.js';
import { UsageError } from './usage.js';

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function addOperatorCommand(program: Command): void {
  program
    .command('operator')
    .description('run the Kubernetes operator (ConfigStoreCluster, ConfigStoreMaintenance)')
    .addOption(new Option('--listen <host:port>', 'address of /healthz, /readyz and /metrics').env('CONFIGSTORE_OPERATOR_LISTEN').default('0.0.0.0:8080'))
    .addOption(new Option('--watch-namespace <ns>', 'watch one namespace (default: all)').env('CONFIGSTORE_OPERATOR_WATCH_NAMESPACE'))
    .addOption(new Option('--leader-election <bool>', 'elect a leader among replicas on a Lease').env('CONFIGSTORE_OPERATOR_LEADER_ELECTION').default('true'))
    .addOption(new Option('--lease-name <name>', 'the Lease of the leader election').env('CONFIGSTORE_OPERATOR_LEASE_NAME').default('configstore-operator'))
    .addOption(
      new Option('--lease-duration <seconds>', 'how long stand-bys wait after the last renewal before taking over')
        .env('CONFIGSTORE_OPERATOR_LEASE_DURATION')
        .default('15'),
    )
    .addOption(new Option('--lease-namespace <ns>', "the Lease's namespace (default: the pod's)").env('POD_NAMESPACE'))
    .addOption(
      new Option('--max-concurrent-scheduled-exports <n>', 'scheduled exports running at once, over every ConfigStoreBackupSchedule')
        .env('CONFIGSTORE_OPERATOR_MAX_CONCURRENT_SCHEDULED_EXPORTS')
        .default('4'),
    )
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, then in-cluster)'))
    .addOption(new Option('--log-level <level>', levels.join(', ')).env('CONFIGSTORE_LOG_LEVEL').default('info'))
    .action(async (opts: Record<string, string | undefined>) => {
      const settings = parseOperatorSettings(opts);
      const { loadKubeConfig } = await import('../../operator/kube/config.js');
      let kc;
      try {
        kc = loadKubeConfig(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {});
      } catch (err) {
        // a file that cannot be read: say which and how it was named, not fs's own wording
        const e = err as NodeJS.ErrnoException;
        const named = opts.kubeconfig ? `--kubeconfig=${JSON.stringify(opts.kubeconfig)}` : `KUBECONFIG=${JSON.stringify(process.env.KUBECONFIG ?? '')}`;
        if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR')
          throw new UsageError(
            `${named}: cannot read the kubeconfig (${e.code === 'ENOENT' ? 'no such file' : e.code}): give a readable kubeconfig file, or run in a cluster`,
          );
        throw new UsageError(e.message);
      }
      const { runOperator } = await import('../../operator/run.js');
      await runOperator(settings, kc);
    });
}

/** The command's options, checked: every value named by the flag or variable it came from. */
export function parseOperatorSettings(opts: Record<string, string | undefined>): OperatorSettings {
  const listen = parseListen({ value: opts.listen, from: '--listen/CONFIGSTORE_OPERATOR_LISTEN' });
  if (!levels.includes(opts.logLevel!))
    throw new UsageError(`--log-level/CONFIGSTORE_LOG_LEVEL=${JSON.stringify(opts.logLevel)}: expected one of ${levels.join(', ')}`);
  if (!['true', 'false'].includes(opts.leaderElection!))
    throw new UsageError(`--leader-election/CONFIGSTORE_OPERATOR_LEADER_ELECTION=${JSON.stringify(opts.leaderElection)}: expected true or false`);
  const leaseSeconds = Number(opts.leaseDuration);
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 3 || leaseSeconds > 300) {
    throw new UsageError(`--lease-duration/CONFIGSTORE_OPERATOR_LEASE_DURATION=${JSON.stringify(opts.leaseDuration)}: expected whole seconds from 3 to 300`);
  }
  const maxExports = Number(opts.maxConcurrentScheduledExports ?? '4');
  if (!Number.isInteger(maxExports) || maxExports < 1 || maxExports > 100) {
    throw new UsageError(
      `--max-concurrent-scheduled-exports/CONFIGSTORE_OPERATOR_MAX_CONCURRENT_SCHEDULED_EXPORTS=${JSON.stringify(opts.maxConcurrentScheduledExports)}: expected a whole number from 1 to 100`,
    );
  }
  return {
    listen,
    watchNamespace: opts.watchNamespace || undefined,
    leaderElection: opts.leaderElection === 'true',
    leaseName: opts.leaseName ?? 'configstore-operator',
    leaseDurationSeconds: leaseSeconds,
    leaseNamespace: opts.leaseNamespace || undefined,
    logLevel: opts.logLevel!,
    maxConcurrentScheduledExports: maxExports,
  };
}
