// The real ClusterFence: the maintenance key and registry in the cluster's etcd, through the
// operator's pool of etcd clients (an unreachable etcd becomes an EtcdUnreachableError).
import type { EtcdPool } from '../etcd.js';
import { enterMaintenance, isPrefixEmpty, readMaintenance, readRegistry, releaseMaintenance } from '../etcd.js';
import type { ClusterFence } from './context.js';

export function fenceOn(pool: EtcdPool): ClusterFence {
  return {
    enter: (namespace, where, owner, reason) => pool.run(namespace, where, (etcd) => enterMaintenance(etcd, where.prefix, owner, reason)),
    read: (namespace, where) => pool.run(namespace, where, (etcd) => readMaintenance(etcd, where.prefix)),
    release: (namespace, where, owner) => pool.run(namespace, where, (etcd) => releaseMaintenance(etcd, where.prefix, owner)),
    registry: (namespace, target, prefix) => pool.run(namespace, target, (etcd) => readRegistry(etcd, prefix)),
    isEmpty: (namespace, where) => pool.run(namespace, where, (etcd) => isPrefixEmpty(etcd, where.prefix)),
  };
}
