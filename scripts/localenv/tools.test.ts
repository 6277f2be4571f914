// The binaries are the pinned real ones: built from the Go modules, or unpacked from npm.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { localEnv } from './testenv.js';

const run = promisify(execFile);
const bin = (name: string) => join(localEnv().binDir, name);

describe('installed tools', () => {
  it('has etcd 3.6 and MinIO built from their Go modules', async () => {
    expect((await run(bin('etcd'), ['--version'])).stdout).toMatch(/etcd Version: 3\.6\.16/);
    expect((await run(bin('minio'), ['--version'])).stdout).toMatch(/minio version/i);
  });

  it('has the control plane and the node of Kubernetes v1.34.4', async () => {
    for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy']) {
      expect((await run(bin(name), ['--version'])).stdout.trim(), name).toBe('Kubernetes v1.34.4');
    }
  });

  it('has distribution’s registry 3.1.2 and CoreDNS 1.15.0 built from their Go modules', async () => {
    expect((await run(bin('registry'), ['--version'])).stdout).toContain('v3.1.2');
    expect((await run(bin('coredns'), ['-version'])).stdout).toContain('CoreDNS-1.15.0');
  });

  it('has kubectl 1.34 and helm 4, and helm renders and lints a chart', async () => {
    expect((await run(bin('kubectl'), ['version', '--client'])).stdout).toMatch(/Client Version: v1\.34\./);
    expect((await run(bin('helm'), ['version', '--short'])).stdout).toMatch(/^v4\./);
    const home = mkdtempSync(join(tmpdir(), 'helm-'));
    try {
      const chart = join(home, 'probe');
      mkdirSync(join(chart, 'templates'), { recursive: true });
      writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 0.1.0\n');
      writeFileSync(join(chart, 'values.yaml'), 'replicas: 2\n');
      writeFileSync(join(chart, 'values.schema.json'), JSON.stringify({ type: 'object', properties: { replicas: { type: 'integer', minimum: 1 } } }));
      writeFileSync(
        join(chart, 'templates', 'cm.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe}\ndata: {replicas: "{{ .Values.replicas }}"}\n',
      );
      const env = { ...process.env, HOME: home, HELM_CACHE_HOME: join(home, 'c'), HELM_CONFIG_HOME: join(home, 'f'), HELM_DATA_HOME: join(home, 'd') };
      expect((await run(bin('helm'), ['template', 'r', chart], { env })).stdout).toContain('replicas: "2"');
      const bad = await run(bin('helm'), ['template', 'r', chart, '--set', 'replicas=0'], { env }).then(
        () => '',
        (err: { stderr: string }) => err.stderr,
      );
      expect(bad).toMatch(/minimum/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
