// An export that names its cluster (`--source-cluster-uid`, as the operator's Jobs do) claims
// the destination folder on first use, exports again into it freely, and is refused (exit 2,
// nothing written) in a folder another cluster owns; two first exports racing for one folder
// leave one owner. As real processes against a real server and MinIO.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedBucket, localEnv } from '../../scripts/localenv/testenv.js';
import { readAll } from '../objectstorage/objectstorage.js';
import { parsePrefixOwner } from '../types/prefixowner.js';
import { testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { finishedWithin, spawnCli } from '../../testsupport/cli.js';

describe('configstore export into an owned folder', () => {
  let cluster: TestCluster;
  let instance: TestInstance;
  let bucket: Awaited<ReturnType<typeof isolatedBucket>>;

  beforeAll(async () => {
    cluster = await testCluster('cli-exportowner');
    instance = await cluster.start({ checkpoint: false });
    await instance.client.createUser({ name: 'alice' });
    bucket = await isolatedBucket('cli-exportowner');
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([cluster?.cleanup(), bucket?.cleanup()]);
  });

  const url = (key: string) => `s3://${bucket.bucket}/${key}?endpoint=${encodeURIComponent(localEnv().s3.endpoint)}&region=${localEnv().s3.region}`;
  const env = (uid?: string) => ({
    CONFIGSTORE_SERVER: instance.url,
    AWS_ACCESS_KEY_ID: localEnv().s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localEnv().s3.secretAccessKey,
    CONFIGSTORE_SOURCE_CLUSTER_NAMESPACE: 'prod',
    CONFIGSTORE_SOURCE_CLUSTER_NAME: 'main',
    ...(uid ? { CONFIGSTORE_SOURCE_CLUSTER_UID: uid } : {}),
  });
  const keys = async (prefix: string) => (await bucket.storage.list(prefix)).items.map((o) => o.key);
  const exportTo = (key: string, uid?: string, args: string[] = []) => finishedWithin(spawnCli(['export', '--to', url(key), ...args], env(uid)), 60_000);

  it('claims the folder on the first export, and exports into it again as its owner', async () => {
    const first = await exportTo('prod/main/a.ndjson', 'uid-a');
    expect(first.code, first.stderr).toBe(0);
    const marker = parsePrefixOwner((await readAll(bucket.storage, 'prod/main/.configstore-owner.json')).toString());
    expect(marker).toMatchObject({ prefix: 'prod/main/', cluster: { uid: 'uid-a', namespace: 'prod', name: 'main' } });
    const again = await exportTo('prod/main/b.ndjson', 'uid-a');
    expect(again.code, again.stderr).toBe(0);
    expect(await keys('prod/main/')).toEqual([
      'prod/main/.configstore-owner.json',
      'prod/main/a.ndjson',
      'prod/main/a.ndjson.manifest.json',
      'prod/main/b.ndjson',
      'prod/main/b.ndjson.manifest.json',
    ]);
    // the marker is the first claim's, untouched
    expect(parsePrefixOwner((await readAll(bucket.storage, 'prod/main/.configstore-owner.json')).toString())).toEqual(marker);
  }, 60_000);

  it("refuses another cluster's folder with exit 2 and writes nothing; the flag works as the variable does", async () => {
    const before = await keys('prod/main/');
    for (const run of [await exportTo('prod/main/c.ndjson', 'uid-b'), await exportTo('prod/main/a.ndjson', undefined, ['--source-cluster-uid', 'uid-b'])]) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        new RegExp(
          `^configstore: the folder s3://${bucket.bucket}/prod/main/ belongs to cluster prod/main \\(uid uid-a\\) since \\S+: a cluster writes its backups only into a folder of its own\\. ` +
            `Use another prefix .*delete s3://${bucket.bucket}/prod/main/\\.configstore-owner\\.json\\n$`,
        ),
      );
    }
    expect(await keys('prod/main/')).toEqual(before);
  }, 60_000);

  it('leaves one owner when two clusters make their first export into one folder at once', async () => {
    const runs = await Promise.all([exportTo('race/x.ndjson', 'uid-x'), exportTo('race/y.ndjson', 'uid-y')]);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 2]);
    const winner = runs[0]!.code === 0 ? 'uid-x' : 'uid-y';
    expect(parsePrefixOwner((await readAll(bucket.storage, 'race/.configstore-owner.json')).toString())?.cluster.uid).toBe(winner);
    expect((await keys('race/')).filter((k) => !k.endsWith('.configstore-owner.json'))).toEqual(
      winner === 'uid-x' ? ['race/x.ndjson', 'race/x.ndjson.manifest.json'] : ['race/y.ndjson', 'race/y.ndjson.manifest.json'],
    );
  }, 60_000);

  it('refuses a folder whose marker is damaged (exit 2), and an export naming no cluster claims nothing', async () => {
    await bucket.storage.put('damaged/.configstore-owner.json', 'not json');
    const damaged = await exportTo('damaged/a.ndjson', 'uid-a');
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toBe(
      `configstore: s3://${bucket.bucket}/damaged/.configstore-owner.json is not a configstore owner marker (damaged, or written by something else): fix or delete it, then export again\n`,
    );
    expect(await keys('damaged/')).toEqual(['damaged/.configstore-owner.json']);
    const anonymous = await exportTo('free/a.ndjson');
    expect(anonymous.code, anonymous.stderr).toBe(0);
    expect(await keys('free/')).toEqual(['free/a.ndjson', 'free/a.ndjson.manifest.json']);
  }, 60_000);
});
