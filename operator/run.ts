// The operator process once its settings are checked; SIGTERM releases the leader lease so a
// stand-by takes over at once (loaded lazily by `configstore operator`,
// so other commands do not load the Kubernetes client).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Recorder } from './controllers/maintenance/reconcile.js';
import { pino } from 'pino';
import { currentNamespace, makeClients } from './kube/config.js';
import { EventRecorder } from './kube/events.js';
import { LeaderElector } from './kube/leader.js';
import { Operator, serveOperatorEndpoints } from './manager.js';
import type { OperatorSettings } from './settings.js';

export async function runOperator(settings: OperatorSettings, kc: KubeConfig) {
  const log = pino({ level: settings.logLevel, base: { component: 'operator', pod: process.env.POD_NAME } });
  const clients = makeClients(kc);
  const { watchNamespace, listen } = settings;
  const recorder = new EventRecorder({ events: clients.events, log });
  // action: the step the operation was in when it happened
  const events: Recorder = {
    record: (cr, type, reason, note) => void recorder.record(cr as unknown as KubernetesObject, { type, reason, action: cr.status?.step ?? 'Admit', note }),
    recordOn: (obj, type, reason, action, note) => void recorder.record(obj, { type, reason, action, note }),
  };
  const elector = settings.leaderElection
    ? new LeaderElector({
        coordination: clients.coordination,
        namespace: settings.leaseNamespace ?? currentNamespace(kc),
        name: settings.leaseName,
        // client-go's proportions: renew deadline 2/3 of the lease, retry every 2/15
        leaseDurationMs: settings.leaseDurationSeconds * 1000,
        renewDeadlineMs: (settings.leaseDurationSeconds * 1000 * 2) / 3,
        retryPeriodMs: (settings.leaseDurationSeconds * 1000 * 2) / 15,
        log,
        onStoppedLeading: () => {
          // as controller-runtime does: a replica that lost the lease exits and starts clean
          log.error('lost the leader lease: exiting');
          process.exit(1);
        },
      })
    : undefined;
  const leadership = elector && {
    isLeader: () => elector.isLeader(),
    waitForLeadership: () =>
      new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (elector.isLeader()) {
            clearInterval(timer);
            resolve();
          }
        }, 200);
      }),
  };
  const operator = new Operator({
    clients,
    log,
    events,
    maxConcurrentScheduledExports: settings.maxConcurrentScheduledExports,
    ...(watchNamespace ? { namespace: watchNamespace } : {}),
    ...(leadership ? { leadership } : {}),
  });
  const server = await serveOperatorEndpoints(operator, listen.host, listen.port);
  log.info(
    { listen: `${listen.host}:${listen.port}`, watchNamespace: watchNamespace ?? '(all)', leaderElection: !!elector, identity: elector?.identity },
    'operator starting',
  );
  elector?.start();
  let stopping = false;
  const started = operator.start().catch((err: unknown) => {
    if (stopping) return; // stopped before the caches synced: the shutdown below goes on (and releases the lease)
    log.error({ err }, 'operator failed to start');
    process.exit(1);
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  stopping = true;
  log.info({ signal }, 'stopping');
  await Promise.race([started, new Promise((r) => setTimeout(r, 100))]);
  await operator.stop();
  await elector?.stop({ release: true });
  server.close();
  log.info('stopped');
  process.exit(0);
}
