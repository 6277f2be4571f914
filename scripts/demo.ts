// `npm start`: the local demo of the operator, in the foreground until Ctrl-C. It starts etcd,
// MinIO, a Kubernetes control plane and a real node (scripts/localenv: kubelet, containerd,
// CoreDNS, a local registry with the image built from the Dockerfile), installs the operator
// with `helm install` of the chart (CRDs included) in namespace `demo` (Pod Security
// "restricted"), applies examples/ with the local endpoints filled in (ConfigStoreCluster
// `main`, 3 instances), then prints what to try. Ctrl-C stops it all.
//   npm start -- [--keep]      (--keep: leave the state directory for a look afterwards)
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { ConfigStoreClient } from '../configstore/client/index.js';
import { group, version, type ConfigStoreCluster } from '../operator/api/index.js';
import { createBucket, down, up, type LocalEnvState } from './localenv/env.js';
import { defaultRelease, helmInstallOperator, isClusterReady, kubeToolsEnv, nodeImage, operatorLogs } from './localenv/operator.js';
import { repoRoot } from './localenv/tools.js';

const run = promisify(execFile);
const namespace = 'demo';
const clusterName = 'main';
const backupBucket = 'configstore-backups';

let keep = false;
try {
  keep = parseArgs({ options: { keep: { type: 'boolean' } } }).values.keep === true;
} catch (err) {
  process.stderr.write(`npm start: ${(err as Error).message}\nusage: npm start -- [--keep] | npm start -- --no-kube [--port 4000] [--dir .local]\n`);
  process.exit(2);
}

const t0 = Date.now();
const secs = (from: number) => `${((Date.now() - from) / 1000).toFixed(1)} s`;
const say = (msg: string) => process.stderr.write(`[demo ${secs(t0).padStart(7)}] ${msg}\n`);

let state: LocalEnvState | undefined;
let stopping: Promise<never> | undefined;

/** Stops what was started, newest first; the state dir stays on failure (or with --keep). */
function stopAll(code: number): Promise<never> {
  stopping ??= (async () => {
    const started = Date.now();
    say('stopping the pods, the node, kube-apiserver, etcd and MinIO…');
    const remove = code === 0 && !keep;
    if (state) await down(state.dir, { remove });
    say(`stopped in ${secs(started)}${state && !remove ? `; state and logs kept in ${state.dir}` : ''}`);
    process.exit(code);
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAll(0));
const checkpoint = async () => {
  if (stopping) await stopping; // Ctrl-C during start-up: stop at the next step
};

/**
 * examples/*.yaml with the demo's endpoints, credentials and token in place of the
 * placeholders (text replaced, comments kept); each placeholder must still be there.
 */
function renderExamples(s: LocalEnvState, adminToken: string, outDir: string): Record<string, string> {
  const values: Record<string, string> = {
    'http://etcd.etcd.svc:2379': s.etcd.endpoint,
    'http://minio.minio.svc:9000': s.s3.endpoint,
    'replace-me-access-key-id': s.s3.accessKeyId,
    'replace-me-secret-access-key': s.s3.secretAccessKey,
    'replace-me-with-a-long-random-token': adminToken,
    'ghcr.io/example/configstore:0.1.0': nodeImage(s),
  };
  const used = new Set<string>();
  const files: Record<string, string> = {};
  for (const file of readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml'))) {
    let text = readFileSync(join(repoRoot, 'examples', file), 'utf8');
    for (const [from, to] of Object.entries(values)) {
      if (text.includes(from)) used.add(from);
      text = text.replaceAll(from, to);
    }
    files[file] = join(outDir, file);
    writeFileSync(files[file], `# rendered by \`npm start\` from examples/${file} for the local demo\n${text}`);
  }
  const missing = Object.keys(values).filter((v) => !used.has(v));
  if (missing.length) throw new Error(`examples/ no longer contain the placeholders ${missing.join(', ')} (scripts/demo.ts fills them in)`);
  return files;
}

/** The admin kubeconfig with `demo` as the current namespace, so the printed commands need no -n. */
function demoKubeconfig(s: LocalEnvState, file: string): string {
  const admin = new KubeConfig();
  admin.loadFromFile(s.kube!.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: admin.getClusters(),
    users: admin.getUsers(),
    contexts: admin.getContexts().map((c) => ({ ...c, namespace })),
    currentContext: admin.getCurrentContext(),
  });
  writeFileSync(file, kc.exportConfig());
  return file;
}

async function main() {
  say('starting etcd, MinIO, the control plane and a node; building the image (scripts/localenv)…');
  state = await up({ node: true });
  const serversUp = Date.now();
  say(`servers up in ${secs(t0)} (state in ${state.dir})`);
  await checkpoint();

  const dir = join(state.dir, 'demo');
  mkdirSync(dir, { recursive: true });
  const kc = new KubeConfig();
  kc.loadFromFile(state.kube!.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
  await createBucket(state.s3, backupBucket);
  say(`helm install ${defaultRelease} charts/configstore-operator -n ${namespace} (image ${nodeImage(state)})…`);
  await helmInstallOperator({ state, namespace });
  await checkpoint();

  const adminToken = randomBytes(16).toString('hex');
  const files = renderExamples(state, adminToken, dir);
  const kubeconfig = demoKubeconfig(state, join(dir, 'kubeconfig'));
  const env = kubeToolsEnv(state, kubeconfig);
  await run('kubectl', ['apply', '-f', files['secrets.yaml']!, '-f', files['cluster.yaml']!], { env });
  say(`ConfigStoreCluster ${clusterName} applied; waiting for its 3 instances…`);

  const custom = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + 180_000;
  for (;;) {
    await checkpoint();
    const c = (await custom.getNamespacedCustomObject({ group, version, namespace, plural: 'configstoreclusters', name: clusterName })) as ConfigStoreCluster;
    if (isClusterReady(c, 3)) break;
    if (Date.now() > deadline) {
      throw new Error(
        `cluster ${clusterName} not Ready after 180 s: ${JSON.stringify(c.status ?? {})}\n--- operator logs ---\n${await operatorLogs(state, namespace)}`,
      );
    }
    await sleep(250);
  }
  const ready = Date.now();

  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/component=server,configstore.io/cluster=${clusterName}` });
  const ip = pods.items.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))!.status!.podIP!;
  const url = `http://${ip}:4000`;
  // a little data, so the export has something in it
  const client = new ConfigStoreClient(url, { token: adminToken });
  for (const name of ['alice', 'bob', 'carol']) await client.createUser({ name });

  const exportSpec = readFileSync(files['export.yaml']!, 'utf8');
  const key = /key: (\S+)/.exec(exportSpec)![1];
  const s3 = `s3://${backupBucket}/${key} on MinIO ${state.s3.endpoint} (keys ${state.s3.accessKeyId} / ${state.s3.secretAccessKey})`;
  process.stdout.write(
    [
      '',
      `The local demo is ready in ${secs(t0)} (servers ${((serversUp - t0) / 1000).toFixed(1)} s, then operator + cluster ${((ready - serversUp) / 1000).toFixed(1)} s).`,
      `  ConfigStoreCluster ${clusterName} in namespace ${namespace}: 3 instances on node ${state.node!.name}, one at ${url}`,
      `  etcd ${state.etcd.endpoint}, MinIO ${state.s3.endpoint}, kube-apiserver ${state.kube!.server}, image ${nodeImage(state)}`,
      `  admin token ${adminToken}; manifests (examples/ with these endpoints) and logs in ${dir}/`,
      '',
      'In another shell:',
      `  export KUBECONFIG=${kubeconfig} PATH="${state.binDir}:$PATH"`,
      `  kubectl get csc                                  # the cluster: replicas, ready, mode`,
      `  curl -s ${url}/api/v1alpha/users                 # alice, bob, carol`,
      '',
      `Export (to ${s3}):`,
      `  kubectl apply -f ${files['export.yaml']}`,
      `  kubectl get csm -w                               # Pending → Running → Succeeded (Ctrl-C to stop watching)`,
      `  kubectl get csm export-1 -o jsonpath='{.status.result}'; echo`,
      '',
      `Import it back (restore: a user created after the export is gone afterwards):`,
      `  curl -s -XPOST ${url}/api/v1alpha/users -H 'content-type: application/json' -d '{"name":"dave"}'`,
      `  kubectl apply -f ${files['import.yaml']}`,
      `  kubectl get csm -w                               # the cluster's mode goes maintenance and back: kubectl get csc`,
      `  curl -s ${url}/api/v1alpha/users                 # alice, bob, carol again`,
      '',
      `Also: kubectl apply -f ${files['maintenance.yaml']} (writes 503 until you kubectl delete it),`,
      `      kubectl describe csm export-1 (events), kubectl get pods,jobs, kubectl logs -l app.kubernetes.io/name=${defaultRelease} -f`,
      `      kubectl apply -f ${files['backupschedule.yaml']} (nightly exports; kubectl get csbs shows the last success and the next run),`,
      '',
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
  setInterval(() => undefined, 1 << 30); // until Ctrl-C: signal listeners alone do not keep node running
}

main().catch(async (err: unknown) => {
  if (stopping) return;
  process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll(1);
});
