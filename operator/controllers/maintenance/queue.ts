// One operation at a time per cluster: the others wait in Pending, in creation order.
// A Maintenance that holds the cluster (step Hold) does not block: an import or export
// may run inside the maintenance it holds.
import type { ConfigStoreMaintenance } from '../../api/index.js';
import { isTerminal } from './status.js';

const byAge = (a: ConfigStoreMaintenance, b: ConfigStoreMaintenance) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);

/** Those that must finish before `cr` may start; empty when it may run. */
export function blockers(cr: ConfigStoreMaintenance, all: ConfigStoreMaintenance[]): ConfigStoreMaintenance[] {
  return (
    all
      // one being deleted still blocks until its finalizer has released what it held
      .filter((o) => o.metadata.uid !== cr.metadata.uid && o.spec.clusterRef.name === cr.spec.clusterRef.name)
      .filter((o) => !isTerminal(o.status) && o.status?.step !== 'Hold')
      .filter((o) => o.status?.phase === 'Running' || byAge(o, cr) < 0)
      .sort(byAge)
  );
}
