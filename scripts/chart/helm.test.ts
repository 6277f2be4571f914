// The chart as helm 4 takes it, with no cluster: `helm lint --strict`, what it renders, and
// values.schema.json refusing a misspelt or out-of-range value with a message naming it.
// (e2e/manifests.test.ts has the API server judge the rendered objects.)
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { chartDir, helm } from './tools.js';

type Obj = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
const render = async (set: string[] = []): Promise<Obj[]> =>
  parseAllDocuments(await helm(['template', 'op', chartDir, '-n', 'configstore-system', ...set]))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
const refusal = (set: string[]) =>
  helm(['template', 'op', chartDir, ...set]).then(
    () => 'rendered',
    (e: { stderr?: string }) => String(e.stderr),
  );
const digest = `sha256:${'ab'.repeat(32)}`;

describe('helm lint --strict', () => {
  it.each([
    ['every namespace', []],
    ['one namespace', ['--set', 'watchNamespace=demo']],
    ['a pinned image, no NetworkPolicy', ['--set', `image.digest=${digest}`, '--set', 'networkPolicy.enabled=false']],
  ])('passes with no warning (%s)', async (_what, set) => {
    const out = await helm(['lint', '--strict', chartDir, ...set]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});

describe('helm template', () => {
  it('renders the operator, its RBAC and a NetworkPolicy admitting the metrics port only', async () => {
    const objects = await render();
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'NetworkPolicy',
      'Role',
      'RoleBinding',
      'ServiceAccount',
    ]);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy')!;
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'configstore-operator', 'app.kubernetes.io/instance': 'op' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }],
    });
    const from = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    const limited = (await render(['--set-json', `networkPolicy.metricsFrom=${JSON.stringify(from)}`])).find((o) => o.kind === 'NetworkPolicy')!;
    expect(limited.spec!.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }], from }]);
    expect((await render(['--set', 'networkPolicy.enabled=false'])).map((o) => o.kind)).not.toContain('NetworkPolicy');
  });

  it('pins the image by digest when given one; its checkov skips go with the choices they explain', async () => {
    const deployment = async (set: string[]) => (await render(set)).find((o) => o.kind === 'Deployment')!;
    const skips = (d: Obj) => Object.keys(d.metadata.annotations ?? {}).filter((k) => k.startsWith('checkov.io/skip'));
    const byTag = await deployment([]);
    expect(JSON.stringify(byTag.spec)).toContain('"image":"ghcr.io/example/configstore:0.1.0"');
    expect(skips(byTag).sort()).toEqual([
      'checkov.io/skip-cpu-limit',
      'checkov.io/skip-digest',
      'checkov.io/skip-pull-policy',
      'checkov.io/skip-token',
      'checkov.io/skip-uid',
    ]);
    const pinned = await deployment(['--set', `image.digest=${digest}`, '--set', 'resources.limits.cpu=1']);
    expect(JSON.stringify(pinned.spec)).toContain(`"image":"ghcr.io/example/configstore:0.1.0@${digest}"`);
    expect(skips(pinned).sort()).toEqual(['checkov.io/skip-token', 'checkov.io/skip-uid']);
  });

  it.each([
    ['a misspelt top-level value', ['--set', 'replica=3'], "at '': additional properties 'replica' not allowed"],
    ['a misspelt nested value', ['--set', 'leaderElection.enable=false'], "at '/leaderElection': additional properties 'enable' not allowed"],
    ['a misspelt resources key', ['--set', 'resources.limit.memory=1Gi'], "at '/resources': additional properties 'limit' not allowed"],
    [
      'a misspelt NetworkPolicyPeer',
      ['--set', 'networkPolicy.metricsFrom[0].namespaceSelecter.matchLabels.a=b'],
      "at '/networkPolicy/metricsFrom/0': additional properties 'namespaceSelecter' not allowed",
    ],
    ['a string for a number', ['--set', 'replicas=abc'], "at '/replicas': got string, want integer"],
    ['a number out of range', ['--set', 'replicas=0'], "at '/replicas': minimum: got 0, want 1"],
    ['a value outside its enum', ['--set', 'logLevel=verbose'], "at '/logLevel': value must be one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace'"],
    ['a tag for a digest', ['--set', 'image.digest=latest'], "at '/image/digest': 'latest' does not match pattern"],
    ['a quantity that is none', ['--set', 'resources.limits.memory=lots'], "at '/resources/limits/memory': 'lots' does not match pattern"],
    ['a namespace that cannot be one', ['--set', 'watchNamespace=Demo'], "at '/watchNamespace': 'Demo' does not match pattern"],
  ])('refuses %s, naming it', async (_what, set, message) => {
    const stderr = await refusal(set);
    expect(stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(stderr).toContain(message);
  });
});
