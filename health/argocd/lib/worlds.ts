// The worlds the scenarios run in: testsupport/fakeoperator.ts's in-memory API server with a
// cluster `main` of two ready instances, and the real maintenance and schedule reconcilers on it.
import { MaintenanceReconciler } from '../../../operator/controllers/maintenance/reconcile.js';
import { ScheduleReconciler } from '../../../operator/controllers/schedule/reconcile.js';
import { FakeBackupObjects, fakeWorld, scheduleDepsOn } from '../../../testsupport/fakeoperator.js';

export type World = ReturnType<typeof fakeWorld>;
type Obj = Parameters<World['api']['replace']>[1];

/** A world with cluster `main` (2 instances, generation 1, as the API server sets it). */
export function world(): World {
  const w = fakeWorld();
  w.cluster('main', 2);
  const stored = w.api.get<Obj>('ConfigStoreCluster', w.namespace, 'main')!;
  w.api.replace('ConfigStoreCluster', { ...stored, metadata: { ...stored.metadata, generation: 1 } }, 'all');
  return w;
}

/** The maintenance reconciler; a round that throws (a step retried) is fine here. */
export function maintenances(w: World) {
  const reconciler = new MaintenanceReconciler(w.deps);
  return (name: string) => reconciler.reconcile(w.namespace, name).catch(() => undefined);
}

/** The schedule reconciler, its runs driven by the maintenance reconciler. */
export function schedules(w: World, objects = new FakeBackupObjects()) {
  const reconciler = new ScheduleReconciler(scheduleDepsOn(w, objects));
  return (name: string) => reconciler.reconcile(w.namespace, name);
}

/** Moves the clock to `iso` plus the at most 60 s jitter of a daily schedule. */
export function at(w: World, iso: string): void {
  w.clock.advance((Date.parse(iso) + 61_000 - w.clock.now().getTime()) / 1000);
}

export function read(w: World, kind: string, name: string): Obj {
  const o = w.api.get<Obj>(kind, w.namespace, name);
  if (!o) throw new Error(`${kind} ${name} is not there`);
  return o;
}

/** A foreground delete (Argo CD's, kubectl --cascade=foreground): the object stays, deletionTimestamp set, while its finalizer runs. */
export function deleteForeground(w: World, kind: string, name: string): Obj {
  const o = read(w, kind, name);
  w.api.replace(kind, { ...o, metadata: { ...o.metadata, finalizers: [...(o.metadata.finalizers ?? []), 'foregroundDeletion'] } }, 'all');
  w.api.delete(kind, w.namespace, name);
  return read(w, kind, name);
}

export const foregroundNote =
  'The foregroundDeletion finalizer a foreground delete adds (the in-memory API server keeps an object with a finalizer, and sets deletionTimestamp).';

/** The object after a spec change the operator has not seen yet: the API server bumps metadata.generation (the fake does not). */
export function specChanged(o: Obj): Obj {
  return { ...o, metadata: { ...o.metadata, generation: (o.metadata.generation ?? 1) + 1 } };
}

export const specChangedNote = 'The metadata.generation raised by one, as the API server does on a spec change (the in-memory one does not).';

/** A grpc error as etcd3 throws it when etcd does not answer (EtcdPool turns it into EtcdUnreachableError). */
export const etcdRefused = () =>
  new Error('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 10.96.0.10:2379. Resolution note: ');
