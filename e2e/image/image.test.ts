// The image built from the Dockerfile, run as a user runs it outside Kubernetes: through
// testcontainers, against the Docker engine of the local node (scripts/local-env up --kube),
// with a read-only root, uid 1000 and no capabilities. `serve` needs only a writable /tmp
// (an import keeps its index there); `export` and `import` write nothing but their result.
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStoreClient } from '../../configstore/client/index.js';
import { freePort } from '../../scripts/localenv/process.js';
import { isolatedBucket, isolatedEtcdPrefix, localEnv } from '../../scripts/localenv/testenv.js';

/** GenericContainer with Docker's ReadonlyRootfs, which testcontainers has no method for. */
class ConfigStoreContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    this.hostConfig.ReadonlyRootfs = true;
    // the node's engine has no bridge network: the host's, where etcd and MinIO listen
    this.withNetworkMode('host').withUser('1000:1000').withDroppedCapabilities('ALL').withSecurityOpt('no-new-privileges');
  }
}

describe('the configstore image (testcontainers)', () => {
  const env = localEnv();
  let image: string;
  let server: StartedTestContainer | undefined;
  let url = '';
  let etcd: ReturnType<typeof isolatedEtcdPrefix>;
  let data: Awaited<ReturnType<typeof isolatedBucket>>;
  let backups: Awaited<ReturnType<typeof isolatedBucket>>;
  const s3Env = () => ({ AWS_ACCESS_KEY_ID: env.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey });
  const backupUrl = (key: string) => `s3://${backups.bucket}/${key}?endpoint=${encodeURIComponent(env.s3.endpoint)}&region=${env.s3.region}`;

  /** A one-shot CLI run of the image: its exit code and output. */
  const runCli = async (args: string[], extraEnv: Record<string, string> = {}) => {
    let output = '';
    const c = await new ConfigStoreContainer(image)
      .withCommand(args)
      .withEnvironment({ CONFIGSTORE_SERVER: url, ...s3Env(), ...extraEnv })
      .withLogConsumer((stream) => stream.on('data', (d: Buffer | string) => (output += d.toString())))
      .start();
    const container = (await getContainerRuntimeClient()).container.getById(c.getId());
    for (let i = 0; ; i++) {
      const state = (await container.inspect()).State;
      if (!state.Running) {
        await new Promise((r) => setTimeout(r, 200)); // the last of the log stream
        await c.stop();
        return { code: state.ExitCode, output };
      }
      if (i > 600) throw new Error(`configstore ${args.join(' ')} still runs after 60 s: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** `serve` from the image; `tmpfs` as a pod's emptyDir would be (none: nothing writable at all). */
  const startServer = async (tmpfs: Record<string, string> | undefined) => {
    const port = await freePort();
    const container = await new ConfigStoreContainer(image)
      .withCommand(['serve'])
      .withTmpFs(tmpfs ?? {})
      .withEnvironment({
        CONFIGSTORE_LISTEN: `127.0.0.1:${port}`,
        CONFIGSTORE_ETCD_ENDPOINTS: env.etcd.endpoint,
        CONFIGSTORE_ETCD_PREFIX: etcd.prefix,
        CONFIGSTORE_OBJECT_STORAGE: `s3://${data.bucket}/?endpoint=${encodeURIComponent(env.s3.endpoint)}&region=${env.s3.region}`,
        CONFIGSTORE_LOG_LEVEL: 'warn',
        ...s3Env(),
      })
      .start();
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 300) throw new Error(`the server in the image did not become ready in 30 s: ${(await container.logs()).read()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { container, url: base };
  };

  beforeAll(async () => {
    if (!env.node) throw new Error('these tests need the local node (its Docker engine and image): `scripts/local-env up --kube`, as npm test does');
    process.env.DOCKER_HOST = env.node.dockerHost;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'; // the reaper's image would come from a registry outside
    process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1'; // the engine has no bridge network to find a gateway on
    image = env.node.image;
    etcd = isolatedEtcdPrefix('image');
    data = await isolatedBucket('image-data');
    backups = await isolatedBucket('image-backups');
    ({ container: server, url } = await startServer({ '/tmp': 'rw,size=64m' }));
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await etcd?.cleanup();
    await data?.cleanup().catch(() => undefined);
    await backups?.cleanup().catch(() => undefined);
  });

  it('serves from a read-only root as uid 1000 with no capabilities', async () => {
    const { output } = await server!.exec(['sh', '-c', 'id -u; touch /app/x 2>&1; grep CapEff /proc/self/status']);
    expect(output).toMatch(/^1000\n/);
    expect(output).toContain('Read-only file system');
    expect(output).toMatch(/CapEff:\s+0000000000000000/);
    const client = new ConfigStoreClient(url);
    await client.createUser({ name: 'in-the-image' });
    expect((await client.listUsers({ limit: 10 })).items.map((u) => u.name)).toEqual(['in-the-image']);
  });

  let sha256 = '';
  it('exports to S3 from the image: exit 0 and the result line', async () => {
    const { code, output } = await runCli(['export', '--to', backupUrl('image.ndjson.gz')]);
    expect(code, output).toBe(0);
    const result = JSON.parse(
      output
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{"operation"'))
        .pop()!,
    ) as { objects: number; sha256: string };
    expect(result.objects).toBeGreaterThanOrEqual(1);
    sha256 = result.sha256;
  });

  it('imports it back from the image, in maintenance, the index on the server’s tmpfs /tmp', async () => {
    const client = new ConfigStoreClient(url);
    await client.createUser({ name: 'after-export' });
    const enable = await runCli(['maintenance', 'enable', '--owner', 'image-test', '--wait']);
    expect(enable.code, enable.output).toBe(0);
    const imported = await runCli(['import', '--from', backupUrl('image.ndjson.gz'), '--sha256', sha256]);
    expect(imported.code, imported.output).toBe(0);
    const disable = await runCli(['maintenance', 'disable', '--owner', 'image-test', '--wait']);
    expect(disable.code, disable.output).toBe(0);
    expect((await client.listUsers({ limit: 10 })).items.map((u) => u.name)).toEqual(['in-the-image']);
  });

  it('without a writable /tmp an import is a 503 that says what to mount, and changes nothing', async () => {
    const bare = await startServer(undefined);
    try {
      const exported = Buffer.from(await (await fetch(`${url}/api/v1alpha/export`)).arrayBuffer());
      const res = await fetch(`${bare.url}/api/v1alpha/import?dryRun=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: exported,
      });
      const body = (await res.json()) as { message: string; code: string };
      expect(res.status).toBe(503);
      expect(body.code).toBe('noScratchSpace');
      expect(body.message).toMatch(/scratch directory \/tmp is not writable \(EROFS\).*emptyDir mounted at \/tmp/);
      expect((await new ConfigStoreClient(bare.url).listUsers({ limit: 10 })).items.map((u) => u.name)).toEqual(['in-the-image']);
    } finally {
      await bare.container.stop();
    }
  });

  it('refuses bad usage with exit 2 and one line, from the image too', async () => {
    const { code, output } = await runCli(['export', '--to', 'ftp://nowhere/x']);
    expect(code).toBe(2);
    expect(output.trim().split('\n')).toHaveLength(1);
  });
});
