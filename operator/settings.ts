// The operator process's settings, checked and typed (`configstore operator` parses them from
// flags and environment: configstore/cli/operator.ts).
export interface OperatorSettings {
  /** Address of /healthz, /readyz and /metrics. */
  listen: { host: string; port: number };
  /** One namespace to watch; undefined: every namespace (cluster mode). */
  watchNamespace: string | undefined;
  leaderElection: boolean;
  leaseName: string;
  /** How long stand-bys wait after the last renewal before taking over. */
  leaseDurationSeconds: number;
  /** The Lease's namespace; undefined: the pod's (or the kubeconfig's). */
  leaseNamespace: string | undefined;
  logLevel: string;
  /** Scheduled exports running at once across every schedule this operator runs. */
  maxConcurrentScheduledExports: number;
}
