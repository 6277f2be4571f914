// For plugin/ tests: the kubectl plugin run in-process on a recorded Io (what it printed, its
// exit code), answering a confirmation when asked to; and the objects an operator would have
// written, with their status set through the status subresource (no operator runs).
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiVersion, group, version } from '../operator/api/common.js';
import type { Io } from '../plugin/io.js';
import { kinds, type KindName } from '../plugin/kube.js';
import { run } from '../plugin/program.js';

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** A terminal on stdin that types this answer to a confirmation. */
  answer?: string;
  now?: Date;
  stderrIsTTY?: boolean;
}

const scratch = mkdtempSync(join(tmpdir(), 'plugin-test-'));

/** The plugin on a recorded Io: no terminal unless `answer` is given; polls every 50 ms; HOME and the working directory a scratch dir. */
export function recordingIo(o: RunOptions = {}): Io & { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    stdoutIsTTY: false,
    stderrIsTTY: o.stderrIsTTY === true,
    stdinIsTTY: o.answer !== undefined,
    readLine: async () => o.answer,
    env: o.env ?? {},
    home: scratch,
    cwd: scratch,
    now: () => o.now ?? new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    pollMs: 50,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** Started, not awaited: `io` shows what it printed so far (a test moves the status on when it sees a line). */
export function startPlugin(args: string[], o: RunOptions = {}): { io: ReturnType<typeof recordingIo>; done: Promise<PluginRun> } {
  const io = recordingIo(o);
  return { io, done: run(args, io).then((code) => ({ code, stdout: io.stdout(), stderr: io.stderr() })) };
}

export const runPlugin = (args: string[], o: RunOptions = {}): Promise<PluginRun> => startPlugin(args, o).done;

const t0 = '2026-06-01T02:00:00Z';
export const condition = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message = reason) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: t0,
});

/** Creates objects of the five kinds and writes their status as the operator would. */
export function operatorWorld(kc: KubeConfig, namespace: string) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const coords = (kind: KindName) => ({ group, version, namespace, plural: kinds[kind].plural });
  const setStatus = (kind: KindName, name: string, status: object) =>
    custom.patchNamespacedCustomObjectStatus({ ...coords(kind), name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const create = async (kind: KindName, name: string, spec: object, status?: object, labels?: Record<string, string>) => {
    await custom.createNamespacedCustomObject({
      ...coords(kind),
      body: { apiVersion, kind: kinds[kind].kind, metadata: { name, ...(labels ? { labels } : {}) }, spec },
    });
    if (status) await setStatus(kind, name, { observedGeneration: 1, ...status });
  };
  const get = (kind: KindName, name: string) =>
    custom.getNamespacedCustomObject({ ...coords(kind), name }) as Promise<{ metadata: { uid: string; name: string }; spec: Record<string, unknown> }>;
  return { create, setStatus, get, custom, coords };
}

export const s3Dest = { bucket: 'backups', endpoint: 'http://minio.example:9000', credentialsSecretRef: { name: 's3-backups' } };

/** The manifest of a ConfigStoreBackup record. */
export function manifestOf(o: { createdAt: string; objects: number; source: { namespace?: string; name: string; uid?: string }; sha256?: string }) {
  return {
    sha256: o.sha256 ?? 'a'.repeat(64),
    storedSha256: 'b'.repeat(64),
    objects: o.objects,
    bytes: o.objects * 100,
    revision: '100',
    epoch: 1,
    gzip: true,
    createdAt: o.createdAt,
    configstoreVersion: '0.1.0',
    source: o.source,
  };
}

/**
 * A namespace as an operator would have left it: cluster main Ready with two instances, its
 * schedule nightly (next run tomorrow), three of its backups (the newest Missing), one of
 * cluster other, and an export of main still running.
 */
export async function seedWorld(kc: KubeConfig, namespace: string, now = new Date()) {
  const w = operatorWorld(kc, namespace);
  const day = 86400_000;
  const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const clusterSpec = (prefix: string) => ({
    replicas: 2,
    image: 'configstore:test',
    etcd: { endpoints: ['http://etcd.example:2379'], prefix },
    objectStorage: { s3: { bucket: 'data', endpoint: 'http://minio.example:9000', credentialsSecretRef: { name: 's3-data' } } },
  });
  await w.create('cluster', 'main', clusterSpec('/main/'), {
    replicas: 2,
    readyReplicas: 2,
    mode: 'normal',
    instances: [
      { id: 'main-configstore-a', pod: 'main-configstore-a', mode: 'normal', appliedRevision: '120' },
      { id: 'main-configstore-b', pod: 'main-configstore-b', mode: 'normal', appliedRevision: '120' },
    ],
    conditions: [condition('Ready', 'True', 'InstancesReady', '2/2 instances ready')],
  });
  await w.create('cluster', 'other', clusterSpec('/other/'), {
    replicas: 2,
    readyReplicas: 1,
    mode: 'normal',
    conditions: [condition('Ready', 'False', 'RollingOut', '1/2 instances ready')],
  });
  const main = await w.get('cluster', 'main');
  const uid = main.metadata.uid;
  await w.create(
    'schedule',
    'nightly',
    { clusterRef: { name: 'main' }, schedule: '0 2 * * *', destination: { s3: { ...s3Dest, prefix: 'main/' } } },
    {
      lastSuccessfulTime: iso(now.getTime() - day / 2),
      nextScheduleTime: iso(now.getTime() + day / 2),
      conditions: [condition('BackupsHealthy', 'True', 'LastRunSucceeded')],
    },
  );
  const record = async (
    name: string,
    o: { ageDays: number; available: boolean; schedule?: string; source: { name: string; uid?: string }; sha256?: string },
  ) => {
    await w.create(
      'backup',
      name,
      {
        location: { ...s3Dest, key: `${o.source.name}/${name}.ndjson.gz` },
        ...(o.schedule ? { schedule: o.schedule } : {}),
        manifest: manifestOf({
          createdAt: iso(now.getTime() - o.ageDays * day),
          objects: 40 + Math.round(o.ageDays),
          source: { namespace, ...o.source },
          ...(o.sha256 ? { sha256: o.sha256 } : {}),
        }),
      },
      { conditions: [condition('Available', o.available ? 'True' : 'False', o.available ? 'ManifestFound' : 'Missing')] },
    );
  };
  await record('nightly-old', { ageDays: 2, available: true, schedule: 'nightly', source: { name: 'main', uid } });
  await record('nightly-good', { ageDays: 1, available: true, schedule: 'nightly', source: { name: 'main', uid }, sha256: 'c'.repeat(64) });
  await record('nightly-missing', { ageDays: 0.1, available: false, schedule: 'nightly', source: { name: 'main', uid } });
  await record('other-1', { ageDays: 1, available: true, source: { name: 'other' } });
  await w.create(
    'maintenance',
    'export-running',
    { clusterRef: { name: 'main' }, operation: 'Export', export: { destination: { s3: { ...s3Dest, key: 'main/x.ndjson.gz' } } } },
    { phase: 'Running', step: 'RunJob', message: 'running Job export-running-1234' },
  );
  return { ...w, uid };
}
