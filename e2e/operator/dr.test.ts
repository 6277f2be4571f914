// The disaster-recovery flow on the real node, as a platform team runs it with GitOps: a
// schedule makes 3 exports and retention prunes to keepLast 2; the namespace is deleted; in a
// fresh namespace a ConfigStoreBackupLocation on the lost folder lists the backups, the
// cluster object re-applied with bootstrap.restore {backup: latest} restores the newest; its
// schedule re-applied unchanged is refused (the folder is the lost cluster's), and with a new
// prefix writes there. The lost folder keeps exactly what retention left. Along the way, Argo
// CD's health (the committed health.lua) and Flux's kstatus judge the live objects.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrefixOwner } from '../../configstore/types/index.js';
import { apiVersion, group, version, type ConfigStoreBackup, type ConfigStoreBackupSchedule, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import { labels } from '../../operator/controllers/naming.js';
import { s3ClientFor } from '../../scripts/localenv/env.js';
import { ensureTools } from '../../scripts/localenv/tools.js';
import { verdictsOf } from '../../testsupport/ecosystem.js';
import { eventsOf, kubectl, podClients, readyCluster, usersOnEveryPod } from './helpers.js';
import { createCluster, getCluster, startWorld, until, type World } from './setup.js';

describe('disaster recovery: schedule → retention → namespace lost → restore latest → own prefix', () => {
  let lost: World;
  let fresh: World | undefined;
  let alpha: Awaited<ReturnType<typeof createCluster>>;
  let restored: Awaited<ReturnType<typeof createCluster>> | undefined;
  let lostUid: string;
  let kept: ConfigStoreMaintenance[] = [];
  const plural = {
    schedules: 'configstorebackupschedules',
    runs: 'configstoremaintenances',
    records: 'configstorebackups',
    locations: 'configstorebackuplocations',
  };
  const list = async <T>(w: World, p: string, labelSelector?: string) =>
    (
      (await w.custom.listNamespacedCustomObject({ group, version, namespace: w.namespace, plural: p, ...(labelSelector ? { labelSelector } : {}) })) as {
        items: T[];
      }
    ).items;
  const folder = (w: World, prefix: string) => ({
    bucket: w.backups.bucket,
    prefix,
    endpoint: w.env.s3.endpoint,
    region: w.env.s3.region,
    credentialsSecretRef: { name: 's3' },
  });
  const applySchedule = (w: World, name: string, prefix: string, extra: Record<string, unknown> = {}) =>
    w.custom.createNamespacedCustomObject({
      group,
      version,
      namespace: w.namespace,
      plural: plural.schedules,
      body: {
        apiVersion,
        kind: 'ConfigStoreBackupSchedule',
        metadata: { name, namespace: w.namespace },
        spec: { clusterRef: { name: 'alpha' }, schedule: '* * * * *', immediate: true, destination: { s3: folder(w, prefix) }, ...extra },
      },
    });
  const keys = async (w: World, prefix: string) => {
    const s3 = s3ClientFor(w.env.s3);
    try {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: w.backups.bucket, Prefix: prefix }));
      return (page.Contents ?? []).map((o) => o.Key!).sort();
    } finally {
      s3.destroy();
    }
  };
  const readObject = async (w: World, key: string) => {
    const s3 = s3ClientFor(w.env.s3);
    try {
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      return await (await s3.send(new GetObjectCommand({ Bucket: w.backups.bucket, Key: key }))).Body!.transformToString();
    } finally {
      s3.destroy();
    }
  };

  /** Argo CD's and kstatus' verdicts on a live object, as `[argocd status, kstatus status]`. */
  const judged = async (w: World, p: string, name: string) => {
    const obj = await w.custom.getNamespacedCustomObject({ group, version, namespace: w.namespace, plural: p, name });
    const v = verdictsOf(obj as { apiVersion: string; kind: string });
    return { pair: [v.argocd.status, v.kstatus.status], ...v };
  };

  beforeAll(async () => {
    ensureTools(['kstatus']);
    lost = await startWorld('dr');
    alpha = await createCluster(lost, 'alpha');
    await readyCluster(lost, 'alpha');
    lostUid = (await getCluster(lost, 'alpha')).metadata.uid!;
  }, 240_000);
  afterAll(async () => {
    await fresh?.cleanup(); // it took the lost world's bucket over
    await restored?.cleanup();
    await alpha?.cleanup();
  });

  it('a schedule makes 3 exports; retention (keepLast 2) prunes the oldest from the bucket', async () => {
    const client = (await podClients(lost, 'alpha'))[0]!.client;
    await client.createUser({ name: 'ada' });
    await applySchedule(lost, 'nightly', 'alpha/', { retention: { keepLast: 2 } });
    const seen = new Map<string, ConfigStoreMaintenance>();
    const state = async () => ({
      runs: (await list<ConfigStoreMaintenance>(lost, plural.runs)).map((r) => [r.metadata.name, r.status?.phase, r.status?.message]),
      events: (await eventsOf(lost, 'nightly', 'ConfigStoreBackupSchedule')).map((e) => `${e.reason}: ${e.note}`),
    });
    const succeeded = (n: number) => async () => {
      const runs = await list<ConfigStoreMaintenance>(lost, plural.runs, `${labels.schedule}=nightly`);
      const failed = runs.find((r) => r.status?.phase === 'Failed' || r.status?.phase === 'Rejected');
      if (failed) throw new Error(`run ${failed.metadata.name} ${failed.status!.phase}: ${failed.status!.message}`);
      for (const r of runs)
        if (r.status?.phase === 'Succeeded' && !seen.has(r.metadata.name)) {
          seen.set(r.metadata.name, r);
          await client.createUser({ name: `after-${seen.size}` }); // each later backup holds more
        }
      return seen.size >= n;
    };
    const started = Date.now();
    await until(lost, '3 scheduled exports succeeded', succeeded(3), 240_000, 1000, state);
    console.log(`3 scheduled exports (every minute) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const all = [...seen.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    kept = all.slice(1);
    const keysOf = (runs: ConfigStoreMaintenance[]) =>
      runs.flatMap((r) => [r.spec.export!.destination.s3.key, `${r.spec.export!.destination.s3.key}.manifest.json`]);
    await until(
      lost,
      'retention pruned the oldest export',
      async () => JSON.stringify(await keys(lost, 'alpha/')) === JSON.stringify(['alpha/.configstore-owner.json', ...keysOf(kept)].sort()),
      90_000,
      1000,
      async () => ({ keys: await keys(lost, 'alpha/'), ...(await state()) }),
    );
    const marker = parsePrefixOwner(await readObject(lost, 'alpha/.configstore-owner.json'));
    expect(marker).toMatchObject({ prefix: 'alpha/', cluster: { uid: lostUid, name: 'alpha', namespace: lost.namespace } });
    // the Event follows the deletes (object, run, record) and is sent in the background
    await until(
      lost,
      'a Pruned event',
      async () => (await eventsOf(lost, 'nightly', 'ConfigStoreBackupSchedule')).some((e) => e.reason === 'Pruned'),
      30_000,
      500,
      state,
    );
    expect((await eventsOf(lost, 'nightly', 'ConfigStoreBackupSchedule')).map((e) => e.reason)).toEqual(expect.arrayContaining(['Created', 'Pruned']));
    expect((await judged(lost, plural.schedules, 'nightly')).pair).toEqual(['Healthy', 'Current']);
    expect((await judged(lost, plural.runs, kept[1]!.metadata.name)).pair).toEqual(['Healthy', 'Current']);
    // no new run while the namespace goes
    await lost.custom.patchNamespacedCustomObject({
      group,
      version,
      namespace: lost.namespace,
      plural: plural.schedules,
      name: 'nightly',
      body: [{ op: 'add', path: '/spec/suspend', value: true }],
    });
  }, 420_000);

  it('the namespace is deleted: everything in it goes, the bucket keeps the 2 backups', async () => {
    await until(lost, 'no run active', async () => (await list<ConfigStoreMaintenance>(lost, plural.runs)).every((r) => r.status?.completedAt), 90_000, 1000);
    await lost.core.deleteNamespace({ name: lost.namespace });
    await until(
      lost,
      `namespace ${lost.namespace} gone`,
      async () => (await lost.core.readNamespace({ name: lost.namespace }).catch((e: { code?: number }) => (e.code === 404 ? 'gone' : undefined))) === 'gone',
      180_000,
      1000,
    );
    expect((await keys(lost, 'alpha/')).filter((k) => k.endsWith('.manifest.json'))).toHaveLength(2);
  }, 240_000);

  it('a fresh namespace: a location on the lost folder lists both backups (kubectl get csb)', async () => {
    fresh = await startWorld('dr-fresh', { backups: lost.backups });
    await fresh.custom.createNamespacedCustomObject({
      group,
      version,
      namespace: fresh.namespace,
      plural: plural.locations,
      body: { apiVersion, kind: 'ConfigStoreBackupLocation', metadata: { name: 'lost-alpha' }, spec: { s3: folder(fresh, 'alpha/'), syncIntervalSeconds: 10 } },
    });
    const records = await until(
      fresh,
      'the location lists 2 Available backups',
      async () => {
        const items = await list<ConfigStoreBackup>(fresh!, plural.records);
        return items.length === 2 && items.every((r) => r.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True')) && items;
      },
      60_000,
      1000,
    );
    expect(records.map((r) => r.spec.location.key).sort()).toEqual(kept.map((r) => r.spec.export!.destination.s3.key));
    for (const r of records) expect(r.spec.manifest.source).toEqual({ namespace: lost.namespace, name: 'alpha', uid: lostUid });
    expect((await judged(fresh, plural.locations, 'lost-alpha')).pair).toEqual(['Healthy', 'Current']);
    expect((await judged(fresh, plural.records, records[0]!.metadata.name)).pair).toEqual(['Healthy', 'Current']);
    const { stdout } = await kubectl(fresh, ['get', 'csbl', 'lost-alpha']);
    expect(stdout).toMatch(/^lost-alpha\s+\S+\s+alpha\/\s+2\s+\S+\s+True\s+/m);
  }, 240_000);

  it('the cluster re-applied with bootstrap.restore {backup: latest} restores the newest backup', async () => {
    const newest = kept[kept.length - 1]!;
    restored = await createCluster(fresh!, 'alpha', 2, { bootstrap: { restore: { backup: 'latest', backupLocation: 'lost-alpha' } } });
    const c = await until(
      fresh!,
      'alpha Bootstrapped',
      async () => {
        const cl = await getCluster(fresh!, 'alpha');
        const cond = cl.status?.conditions?.find((x) => x.type === 'Bootstrapped');
        if (cond?.reason === 'RestoreFailed' || cond?.reason === 'SourceAmbiguous') throw new Error(`bootstrap failed: ${cond.message}`);
        return cond?.status === 'True' && cl;
      },
      240_000,
      1000,
      async () => (await getCluster(fresh!, 'alpha')).status,
    );
    expect(c.metadata.uid).not.toBe(lostUid);
    expect(c.status!.bootstrap).toMatchObject({
      result: 'Restored',
      source: `s3://${fresh!.backups.bucket}/${newest.spec.export!.destination.s3.key}`,
      sha256: newest.status!.result!.sha256,
      sourceClusterUid: lostUid,
    });
    await readyCluster(fresh!, 'alpha');
    expect((await judged(fresh!, 'configstoreclusters', 'alpha')).pair).toEqual(['Healthy', 'Current']);
    // the newest backup held ada and the users made after the first two runs
    for (const users of await usersOnEveryPod(fresh!, 'alpha')) expect(users).toEqual(expect.arrayContaining(['ada', 'after-1', 'after-2']));
  }, 300_000);

  it('its schedule re-applied unchanged is refused (the lost cluster owns the folder); with a new prefix it writes there', async () => {
    const w = fresh!;
    const newUid = (await getCluster(w, 'alpha')).metadata.uid!;
    await applySchedule(w, 'nightly', 'alpha/');
    const refused = await until(
      w,
      'the unchanged schedule Stalled',
      async () => {
        const s = (await w.custom.getNamespacedCustomObject({
          group,
          version,
          namespace: w.namespace,
          plural: plural.schedules,
          name: 'nightly',
        })) as ConfigStoreBackupSchedule;
        return s.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True') && s;
      },
      60_000,
      1000,
    );
    expect(refused.status!.destination).toMatchObject({ owner: { uid: lostUid }, writable: false });
    expect(refused.status!.message).toContain(`belongs to cluster ${lost.namespace}/alpha (uid ${lostUid})`);
    expect(await list<ConfigStoreMaintenance>(w, plural.runs, `${labels.schedule}=nightly`)).toEqual([]);
    const refusedVerdicts = await judged(w, plural.schedules, 'nightly');
    expect(refusedVerdicts.pair).toEqual(['Degraded', 'Failed']);
    expect(refusedVerdicts.argocd.message).toContain(`belongs to cluster ${lost.namespace}/alpha`);

    await w.custom.deleteNamespacedCustomObject({ group, version, namespace: w.namespace, plural: plural.schedules, name: 'nightly' });
    await applySchedule(w, 'nightly-restored', 'alpha-restored/');
    const run = await until(
      w,
      'the new schedule’s run succeeded',
      async () => {
        const [r] = await list<ConfigStoreMaintenance>(w, plural.runs, `${labels.schedule}=nightly-restored`);
        if (r?.status?.phase === 'Failed') throw new Error(`run failed: ${r.status.message}`);
        return r?.status?.phase === 'Succeeded' && r;
      },
      120_000,
      1000,
    );
    expect(run.spec.export!.destination.s3.key).toMatch(/^alpha-restored\/nightly-restored-\d{12}\.ndjson\.gz$/);
    expect(parsePrefixOwner(await readObject(w, 'alpha-restored/.configstore-owner.json'))!.cluster).toMatchObject({ uid: newUid, name: 'alpha' });
    // the lost cluster's folder is as retention left it
    expect((await keys(w, 'alpha/')).filter((k) => k.endsWith('.ndjson.gz'))).toEqual(kept.map((r) => r.spec.export!.destination.s3.key));
  }, 240_000);
});
