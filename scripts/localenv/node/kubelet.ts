// The kubelet's and kube-proxy's configuration files for the one local node.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDnsIp, clusterDomain, nodeIp, podCidr } from './network.js';

export function writeKubeletConfig(file: string, o: { pki: string; runtimeSocket: string; port: number; healthzPort: number; resolvConf: string }): void {
  writeFileSync(
    file,
    `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# this machine: cgroup v1 through cgroupfs (no systemd), swap not checked
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${o.runtimeSocket}
address: ${nodeIp}
port: ${o.port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${o.healthzPort}
tlsCertFile: ${join(o.pki, 'kubelet-serving.crt')}
tlsPrivateKeyFile: ${join(o.pki, 'kubelet-serving.key')}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${join(o.pki, 'ca.crt')}}
authorization:
  mode: Webhook
clusterDomain: ${clusterDomain}
clusterDNS: [${clusterDnsIp}]
resolvConf: ${o.resolvConf}
# a shared development disk: evict only when it is really full
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 98
imageGCLowThresholdPercent: 95
serializeImagePulls: false
podPidsLimit: 4096
nodeStatusReportFrequency: 10s
# how soon a changed Secret reaches its volumes (default 1m)
syncFrequency: 10s
shutdownGracePeriod: 0s
`,
  );
}

export function writeKubeProxyConfig(file: string, o: { kubeconfig: string; healthzPort: number; metricsPort: number; hostname: string }): void {
  writeFileSync(
    file,
    `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: ${o.kubeconfig}}
hostnameOverride: ${o.hostname}
clusterCIDR: ${podCidr}
bindAddress: ${nodeIp}
healthzBindAddress: 127.0.0.1:${o.healthzPort}
metricsBindAddress: 127.0.0.1:${o.metricsPort}
nodePortAddresses: [${nodeIp}/32]
# leave the machine's conntrack settings as they are (setting them needs privileges it lacks)
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`,
  );
}
