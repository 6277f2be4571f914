// Undoing the node: pods first (so the kubelet tears their sandboxes down through CNI), then,
// once every process is stopped, a sweep of whatever a crash may have left: container
// processes, mounts under the state dir, network namespaces, the bridge, iptables chains,
// cgroups, the node address. `leftovers()` lists what is still there (CI checks it is nothing).
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeName } from '../kube.js';
import { bridgeName, hasNodeIp, removeBridge, removeNodeIp } from './network.js';

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const quiet = (cmd: string, args: string[]) => {
  try {
    return sh(cmd, args);
  } catch {
    return '';
  }
};

/** Deletes every pod bound to the node and waits (up to `timeoutMs`) until the kubelet has stopped them. */
export async function drainNode(kubeconfig: string, timeoutMs = 30_000): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const onNode = async () => (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` })).items;
  const deadline = Date.now() + timeoutMs;
  try {
    for (const pod of await onNode()) {
      await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, gracePeriodSeconds: 1 }).catch(() => undefined);
    }
    while ((await onNode()).length && Date.now() < deadline) await sleep(250);
  } catch {
    // the API server is gone already: the sweep does the rest
  }
}

const iptablesPrefixes = ['KUBE-', 'CNI-'];
const ours = (chain: string) => iptablesPrefixes.some((p) => chain.startsWith(p));

function ourChains(cmd: string, table: string): { chains: string[]; rules: string[] } {
  const lines = quiet(cmd, ['-t', table, '-S']).split('\n');
  const chains = lines
    .filter((l) => l.startsWith('-N '))
    .map((l) => l.slice(3).trim())
    .filter(ours);
  const rules = lines.filter((l) => {
    const m = /^-A (\S+) .*?-j (\S+)/.exec(l) ?? /^-A (\S+)/.exec(l);
    return m && (ours(m[1]!) || (m[2] !== undefined && ours(m[2])));
  });
  return { chains, rules };
}

function sweepIptables(): void {
  for (const cmd of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const { chains, rules } = ourChains(cmd, table);
      // jumps from built-in chains first, then our chains' contents, then the chains
      // through sh: `-S` prints rules quoted as a shell would take them (comments have spaces)
      for (const rule of rules.filter((r) => !ours(r.split(' ')[1]!))) quiet('sh', ['-c', `${cmd} -t ${table} -D ${rule.slice(3)}`]);
      for (const chain of chains) quiet(cmd, ['-t', table, '-F', chain]);
      for (const chain of chains) quiet(cmd, ['-t', table, '-X', chain]);
    }
  }
}

function containerPids(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cgroup = readFileSync(`/proc/${entry}/cgroup`, 'utf8');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cgroup.includes('/kubepods') || (cmdline.startsWith('/usr/bin/containerd-shim') && cmdline.includes(stateDir))) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
}

const netnsDir = '/var/run/netns';
function ourNetns(since: number): string[] {
  if (!existsSync(netnsDir)) return [];
  return readdirSync(netnsDir).filter((n) => n.startsWith('cni-') && statSync(join(netnsDir, n)).mtimeMs >= since - 1000);
}

function kubeCgroups(): string[] {
  const found: string[] = [];
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return found;
  for (const hierarchy of readdirSync(root)) {
    for (const name of ['kubepods', 'kubepods.slice']) {
      const dir = join(root, hierarchy, name);
      if (existsSync(dir)) found.push(dir);
    }
  }
  return found;
}

function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  try {
    rmdirSync(dir);
  } catch {
    // still has a process: reported by leftovers()
  }
}

/** Removes what the node leaves behind. `stateDir` is the env's dir, `since` when it started (ms). */
export async function sweepNode(o: { stateDir: string; since: number; kubeProxyBin?: string }): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const pids = containerPids(o.stateDir);
    if (!pids.length) break;
    for (const pid of pids) quiet('kill', ['-9', String(pid)]);
    await sleep(300);
  }
  for (const m of mountsUnder(o.stateDir)) quiet('umount', ['-l', m]);
  for (const ns of ourNetns(o.since)) quiet('ip', ['netns', 'delete', ns]);
  removeBridge();
  if (o.kubeProxyBin) quiet(o.kubeProxyBin, ['--cleanup']);
  sweepIptables();
  for (const cg of kubeCgroups()) removeCgroupTree(cg);
  removeNodeIp();
}

/** When the environment that owns `path` (under `prefix`: `/tmp/configstore-env-` + its name) began, in ms. */
function envStartedAt(path: string, prefix: string): number {
  const dir = prefix + path.slice(prefix.length).split('/')[0];
  try {
    return (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { startedAt?: number }).startedAt ?? statSync(dir).mtimeMs;
  } catch {
    return existsSync(dir) ? statSync(dir).mtimeMs : 0;
  }
}

/**
 * What the node left on the machine (empty when the sweep worked). Mounts and network
 * namespaces count only for environments begun at or after `since`: one an earlier, killed
 * run left behind is not this run's leak.
 */
export function leftovers(o: { stateDir: string; since: number }): string[] {
  const found: string[] = [];
  const pids = containerPids(o.stateDir);
  if (pids.length) found.push(`container processes: ${pids.join(', ')}`);
  const mounts = mountsUnder(o.stateDir).filter((m) => envStartedAt(m, o.stateDir) >= o.since - 1000);
  if (mounts.length) found.push(`mounts: ${mounts.join(', ')}`);
  const netns = ourNetns(o.since);
  if (netns.length) found.push(`network namespaces: ${netns.join(', ')}`);
  if (quiet('ip', ['link', 'show', bridgeName])) found.push(`interface ${bridgeName}`);
  if (hasNodeIp()) found.push('the node address on lo');
  for (const cmd of ['iptables', 'ip6tables'])
    for (const table of ['filter', 'nat', 'mangle']) {
      const { chains } = ourChains(cmd, table);
      if (chains.length) found.push(`${cmd} -t ${table} chains: ${chains.join(', ')}`);
    }
  const cgroups = kubeCgroups();
  if (cgroups.length) found.push(`cgroups: ${cgroups.join(', ')}`);
  return found;
}
