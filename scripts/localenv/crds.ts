// Installs the CRDs from the YAML files a user installs (`crds/`, or the chart's copy), with
// the README's `kubectl apply --server-side`, and waits until they are served. Never from
// in-memory objects: what the API server enforces is what ships.
import { ApiextensionsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { LocalEnvState } from './env.js';
import { kubeTool } from './operator.js';
import { repoRoot } from './tools.js';

export const crdDir = join(repoRoot, 'crds');

export async function installCrds(state: LocalEnvState, kc: KubeConfig, dir = crdDir, timeoutMs = 30_000): Promise<void> {
  await kubeTool(state, 'kubectl', ['apply', '--server-side', '--force-conflicts', '--field-manager=configstore-installer', '-f', dir]);
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => (d.toJS() as { metadata: { name: string } }).metadata.name));
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const live = await ext.readCustomResourceDefinition({ name });
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
