// The addresses of the local node. All inside 198.18.0.0/15 (reserved for benchmarking, RFC
// 2544), which no real network uses, so nothing here can shadow or reach a machine elsewhere.
// One node per machine: a second `up --kube` would fight over the bridge, iptables and cgroups.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** The node's InternalIP: an extra address on `lo` (a node IP may not be loopback, and this kernel has no dummy interfaces). */
export const nodeIp = '198.19.0.1';
/** Pods' addresses, on the CNI bridge `bridgeName` (its gateway is the first address). */
export const podCidr = '198.18.0.0/24';
export const podGateway = '198.18.0.1';
export const bridgeName = 'cs-cni0';
/** ClusterIPs; the first is the `kubernetes` Service. */
export const serviceCidr = '198.18.128.0/24';
export const apiServiceIp = '198.18.128.1';
/** CoreDNS answers cluster names here, on port 53. */
export const clusterDnsIp = nodeIp;
export const clusterDomain = 'cluster.local';

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

export function hasNodeIp(): boolean {
  return ip(['-4', 'addr', 'show', 'dev', 'lo']).includes(` ${nodeIp}/32`);
}

export function addNodeIp(): void {
  if (!hasNodeIp()) ip(['addr', 'add', `${nodeIp}/32`, 'dev', 'lo']);
}

export function removeNodeIp(): void {
  if (hasNodeIp()) ip(['addr', 'del', `${nodeIp}/32`, 'dev', 'lo']);
}

export function removeBridge(): void {
  try {
    ip(['link', 'del', bridgeName]);
  } catch {
    // not there
  }
}

/** Which environment owns the machine's one node: its state dir, in this file. */
export const nodeOwnerFile = '/run/configstore-local-node';

export function nodeOwner(): string | undefined {
  try {
    return readFileSync(nodeOwnerFile, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Claims the node for `dir`; refuses while another environment that still runs holds it. */
export function claimNode(dir: string, stillRunning: (ownerDir: string) => boolean): void {
  const owner = nodeOwner();
  if (owner && owner !== dir && stillRunning(owner)) {
    throw new Error(`a local node is already up, in ${owner}: one node per machine (stop it with \`scripts/local-env down --dir ${owner}\`)`);
  }
  writeFileSync(nodeOwnerFile, `${dir}\n`);
}

export function releaseNode(dir: string): void {
  if (nodeOwner() === dir) rmSync(nodeOwnerFile, { force: true });
}
