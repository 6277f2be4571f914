// The operator's direct use of a cluster's etcd: it puts and releases the
// maintenance key itself and reads the instance registry. Key layout and value schemas
// come from configstore/types, the contract the configstore instances follow.
import type { CoreV1Api } from '@kubernetes/client-node';
import { Etcd3, GRPCDeadlineExceededError, isRecoverableError } from 'etcd3';
import { createHash } from 'node:crypto';
import {
  collectEtcdCredentials,
  etcdConnectionOptions,
  etcdKeys,
  parseInstanceStatuses,
  parseMaintenanceRequest,
  type EtcdCredentials,
  type InstanceStatus,
  type MaintenanceRequest,
} from '../../configstore/types/index.js';
import { statusCode } from '../kube/request.js';

/** A cluster's etcd as its spec (or a maintenance's status) names it. */
export interface EtcdTarget {
  endpoints: string[];
  credentialsSecretRef?: { name: string };
}

/** The credentials Secret is missing or its keys do not fit together (not an API failure). */
export class EtcdCredentialsError extends Error {
  override name = 'EtcdCredentialsError';
  /** The Secret's fingerprint when it was read (it exists, but does not fit). */
  constructor(
    message: string,
    readonly fingerprint?: string,
  ) {
    super(message);
  }
}

/**
 * etcd did not answer: says where, since when, and the first cause seen (the retry library's
 * own words, "the circuit breaker is open", say none of that). The message stays the same
 * while the outage lasts, so a status records it once with a count.
 */
export class EtcdUnreachableError extends Error {
  override name = 'EtcdUnreachableError';
  constructor(endpoints: string[], since: Date, cause: string) {
    super(
      `etcd at ${endpoints.join(', ')} is unreachable since ${since.toISOString()} (${cause}); check that it runs and that this operator can reach it (network policy, DNS, TLS)`,
    );
  }
}

/** An error that means etcd did not answer (not one it gave). */
function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    isRecoverableError(err) ||
    err instanceof GRPCDeadlineExceededError ||
    err.name === 'BrokenCircuitError' ||
    /circuit breaker is open|ECONNREFUSED|EHOSTUNREACH|ETIMEDOUT|ENOTFOUND|No connection established/i.test(err.message)
  );
}

/** The deepest cause that says something (a broken circuit has none of its own). */
function causeOf(err: Error): string {
  const text = err.message.replace(/^\d+ UNAVAILABLE: /, '');
  if (/circuit breaker is open/i.test(text)) return 'no answer; retries are paused';
  // grpc's "No connection established. Last error: Error: connect ECONNREFUSED …. Resolution note: "
  return /Last error: (?:Error: )?(.+?)\.?(?: Resolution note:.*)?$/.exec(text)?.[1] ?? text;
}

/**
 * One etcd client per endpoint list and credentials Secret, shared by every cluster that uses
 * both. The Secret is read on each call (a GET): a rotated Secret replaces the client.
 */
export class EtcdPool {
  private readonly clients = new Map<string, { fingerprint: string; client: Etcd3 }>();
  /** Per endpoint list: since when etcd has not answered, and the first cause seen. */
  private readonly outages = new Map<string, { since: Date; cause: string }>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Runs `fn` on the target's client. An etcd that does not answer becomes an
   * EtcdUnreachableError naming the endpoints, since when, and why.
   */
  async run<T>(namespace: string, target: EtcdTarget, fn: (etcd: Etcd3) => Promise<T>): Promise<T> {
    const { client } = await this.connect(namespace, target);
    return this.calling(target, () => fn(client));
  }

  /** `fn` on a client already connected to `target`, its unreachable etcd described as in run(). */
  async calling<T>(target: EtcdTarget, fn: () => Promise<T>): Promise<T> {
    const where = [...target.endpoints].sort().join(',');
    try {
      const result = await fn();
      this.outages.delete(where);
      return result;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      let outage = this.outages.get(where);
      if (!outage || (outage.cause === 'no answer; retries are paused' && !/circuit breaker is open/i.test((err as Error).message))) {
        outage = { since: outage?.since ?? this.now(), cause: causeOf(err as Error) };
        this.outages.set(where, outage);
      }
      throw new EtcdUnreachableError(target.endpoints, outage.since, outage.cause);
    }
  }

  /**
   * The client, and a fingerprint of the credentials it uses (undefined without a Secret).
   * EtcdCredentialsError for a missing or unfit Secret; other API errors as they come.
   */
  async connect(namespace: string, target: EtcdTarget): Promise<{ client: Etcd3; fingerprint: string | undefined }> {
    const secret = target.credentialsSecretRef?.name;
    const creds = secret ? await this.readCredentials(namespace, secret) : {};
    const hash = createHash('sha256');
    for (const [k, v] of Object.entries(creds)) hash.update(`${k}\0`).update(v).update('\0');
    const fingerprint = hash.digest('hex');
    const key = `${[...target.endpoints].sort().join(',')} ${secret ? `${namespace}/${secret}` : ''}`;
    const pooled = this.clients.get(key);
    if (pooled?.fingerprint === fingerprint) return { client: pooled.client, fingerprint: secret && fingerprint };
    let options;
    try {
      options = etcdConnectionOptions(target.endpoints, creds);
    } catch (err) {
      throw new EtcdCredentialsError(`etcd credentials Secret ${secret}: ${(err as Error).message}`, fingerprint);
    }
    pooled?.client.close();
    // bounded calls: a reconcile must never hang on an unreachable etcd
    const client = new Etcd3({ ...options, dialTimeout: 3000, defaultCallOptions: () => ({ deadline: Date.now() + 5000 }) });
    this.clients.set(key, { fingerprint, client });
    return { client, fingerprint: secret && fingerprint };
  }

  private async readCredentials(namespace: string, name: string): Promise<EtcdCredentials> {
    let data: Record<string, string>;
    try {
      data = (await this.core.readNamespacedSecret({ name, namespace })).data ?? {};
    } catch (err) {
      if (statusCode(err) === 404) throw new EtcdCredentialsError(`etcd credentials Secret ${name} not found in namespace ${namespace}`);
      throw err;
    }
    return collectEtcdCredentials((key) => (data[key] ? Buffer.from(data[key], 'base64') : undefined));
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
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
  const res = await etcd
    .if(key, 'Create', '==', 0)
    .then(etcd.put(key).value(JSON.stringify(request)))
    .commit();
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

/**
 * Whether the cluster under `prefix` never held data: no snapshot pointer, no import's epoch,
 * no WAL entry (a cluster whose objects were all deleted still has those, and is not empty).
 */
export async function isPrefixEmpty(etcd: Etcd3, prefix: string): Promise<boolean> {
  const keys = etcdKeys(prefix);
  const [snapshot, epoch, wals] = await Promise.all([
    etcd.get(keys.snapshot).exec(),
    etcd.get(keys.epoch).exec(),
    etcd.getAll().prefix(keys.walPrefix).limit(1).keys(),
  ]);
  return snapshot.kvs.length === 0 && epoch.kvs.length === 0 && wals.length === 0;
}
