// Disaster recovery on the real node: cluster alpha's backup restores a new cluster at its
// creation (spec.bootstrap.restore), once; a cluster object re-created over the data it now
// holds restores nothing (a GitOps tool re-applying it cannot roll the data back).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { group, version, type ConfigStoreCluster, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import { finished, podClients, readyCluster, usersOnEveryPod } from './helpers.js';
import { backupObject, createCluster, createMaintenance, getCluster, startWorld, until, type World } from './setup.js';

describe('restore at creation (spec.bootstrap.restore)', () => {
  let w: World;
  let alpha: Awaited<ReturnType<typeof createCluster>>;
  let beta: Awaited<ReturnType<typeof createCluster>>;
  let exported: ConfigStoreMaintenance;
  const clusters = { group, version, plural: 'configstoreclusters' };
  const bootstrapped = (name: string) =>
    until(
      w,
      `${name} Bootstrapped`,
      async () => {
        const c = await getCluster(w, name);
        const cond = c.status?.conditions?.find((x) => x.type === 'Bootstrapped');
        if (cond?.reason === 'RestoreFailed' || cond?.reason === 'SourceMissing') throw new Error(`bootstrap failed: ${cond.message}`);
        return cond?.status === 'True' && c;
      },
      180_000,
      500,
      async () => (await getCluster(w, name)).status,
    );

  beforeAll(async () => {
    w = await startWorld('boot');
    alpha = await createCluster(w, 'alpha');
    await readyCluster(w, 'alpha');
    const client = (await podClients(w, 'alpha'))[0]!.client;
    for (const name of ['ada', 'grace', 'linus']) await client.createUser({ name });
    await createMaintenance(w, 'backup', {
      clusterRef: { name: 'alpha' },
      operation: 'Export',
      export: { destination: backupObject(w, 'alpha/dr.ndjson.gz') },
    });
    exported = await finished(w, 'backup');
    expect(exported.status!.phase, exported.status!.message).toBe('Succeeded');
  }, 240_000);
  afterAll(async () => {
    await w?.cleanup();
    await alpha?.cleanup();
    await beta?.cleanup();
  });

  it('a new cluster restores the backup once its instances are ready, and records where from', async () => {
    const started = Date.now();
    const bootstrap = { restore: { source: backupObject(w, 'alpha/dr.ndjson.gz'), sha256: exported.status!.result!.sha256 } };
    beta = await createCluster(w, 'beta', 2, { bootstrap });
    const c = await bootstrapped('beta');
    console.log(`cluster with bootstrap.restore applied → Bootstrapped (Restored) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(c.status!.bootstrap).toMatchObject({
      result: 'Restored',
      source: `s3://${w.backups.bucket}/alpha/dr.ndjson.gz`,
      sha256: exported.status!.result!.sha256,
      objects: exported.status!.result!.objects,
      maintenance: 'beta-bootstrap',
      sourceClusterUid: (await getCluster(w, 'alpha')).metadata.uid, // from the export's manifest
    });
    for (const users of await usersOnEveryPod(w, 'beta')) expect(users).toEqual(['ada', 'grace', 'linus']);
    await readyCluster(w, 'beta'); // and serving again, out of maintenance
  });

  it('the same object re-created over the data it holds (GitOps after a delete) restores nothing', async () => {
    const client = (await podClients(w, 'beta'))[0]!.client;
    await client.createUser({ name: 'margaret' }); // written after the restore: must survive
    const before = await getCluster(w, 'beta');
    await w.custom.deleteNamespacedCustomObject({ ...clusters, namespace: w.namespace, name: 'beta' });
    await until(w, 'beta deleted', async () => (await getCluster(w, 'beta').catch(() => undefined)) === undefined);
    const body: ConfigStoreCluster = {
      apiVersion: before.apiVersion,
      kind: 'ConfigStoreCluster',
      metadata: { name: 'beta', namespace: w.namespace },
      spec: before.spec,
    };
    await w.custom.createNamespacedCustomObject({ ...clusters, namespace: w.namespace, body });
    const c = await bootstrapped('beta');
    expect(c.status!.bootstrap!.result).toBe('DataPresent');
    expect(c.status!.conditions!.find((x) => x.type === 'Bootstrapped')!.message).toMatch(/already held data .*nothing was restored over it/);
    await readyCluster(w, 'beta');
    for (const users of await usersOnEveryPod(w, 'beta')) expect(users).toEqual(['ada', 'grace', 'linus', 'margaret']);
  });
});
