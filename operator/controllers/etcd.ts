// The operator's direct use of a cluster's etcd (DESIGN §6): it puts and releases the
// maintenance key itself and reads the instance registry. Key layout and value schemas
// come from configstore/types, the contract the configstore instances follow.
import { Etcd3 } from 'etcd3';
import { etcdKeys, parseInstanceStatuses, parseMaintenanceRequest, type InstanceStatus, type MaintenanceRequest } from '../../configstore/types/index.js';

/** One etcd client per endpoint list, shared by every cluster that uses those endpoints. */
export class EtcdPool {
  private readonly clients = new Map<string, Etcd3>();

  client(endpoints: string[]): Etcd3 {
    const key = [...endpoints].sort().join(',');
    let client = this.clients.get(key);
    if (!client) {
      // bounded calls: a reconcile must never hang on an unreachable etcd
      client = new Etcd3({ hosts: endpoints, dialTimeout: 3000, defaultCallOptions: () => ({ deadline: Date.now() + 5000 }) });
      this.clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

export interface MaintenanceKey {
  owner: string;
  /** Create revision: the fence every instance reports once in maintenance. */
  revision: string;
}

export async function readMaintenance(etcd: Etcd3, prefix: string): Promise<MaintenanceKey | undefined> {
  const res = await etcd.get(etcdKeys(prefix).maintenance).exec();
  const kv = res.kvs[0];
  return kv ? { owner: parseMaintenanceRequest(kv.value).owner, revision: kv.create_revision } : undefined;
}

/** Puts the key for `owner` unless it exists; returns who holds it now (us or someone else). */
export async function enterMaintenance(etcd: Etcd3, prefix: string, owner: string, reason: string): Promise<MaintenanceKey & { created: boolean }> {
  const key = etcdKeys(prefix).maintenance;
  const request: MaintenanceRequest = { requestedAt: new Date().toISOString(), requestedBy: 'configstore-operator', reason, owner };
  const res = await etcd.if(key, 'Create', '==', 0).then(etcd.put(key).value(JSON.stringify(request))).commit();
  const now = await readMaintenance(etcd, prefix);
  if (!now) throw new Error('the maintenance key vanished right after it was put; retrying');
  return { ...now, created: res.succeeded && now.owner === owner };
}

/** Deletes the key only if `owner` still holds it (never ends someone else's maintenance). */
export async function releaseMaintenance(etcd: Etcd3, prefix: string, owner: string): Promise<'released' | 'absent' | 'notOwner'> {
  const key = etcdKeys(prefix).maintenance;
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await etcd.get(key).exec();
    const kv = res.kvs[0];
    if (!kv) return 'absent';
    if (parseMaintenanceRequest(kv.value).owner !== owner) return 'notOwner';
    const del = await etcd.if(key, 'Mod', '==', kv.mod_revision).then(etcd.delete().key(key)).commit();
    if (del.succeeded) return 'released';
  }
  throw new Error('the maintenance key kept changing while releasing it');
}

/** Every live instance's registry entry. */
export async function readRegistry(etcd: Etcd3, prefix: string): Promise<InstanceStatus[]> {
  const res = await etcd.getAll().prefix(etcdKeys(prefix).instancesPrefix).exec();
  return parseInstanceStatuses(res.kvs.map((kv) => kv.value));
}
