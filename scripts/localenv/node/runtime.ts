// The container runtime of the node: Debian's containerd (CRI plugin) and runc, CNI plugins
// (bridge, host-local, portmap, loopback) from Debian's containernetworking-plugins, pulling
// from the local registry over plain HTTP. State lives in the env's dir; nothing in /etc.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeName, podCidr, podGateway } from './network.js';

export const cniBinDir = '/usr/lib/cni';

export interface RuntimePaths {
  dir: string;
  config: string;
  socket: string;
  cniConfDir: string;
}

export function runtimePaths(nodeDir: string): RuntimePaths {
  const dir = join(nodeDir, 'containerd');
  return { dir, config: join(dir, 'config.toml'), socket: join(dir, 'containerd.sock'), cniConfDir: join(nodeDir, 'cni', 'net.d') };
}

/** containerd's config: `registry` is host:port of the local registry, `pauseImage` the sandbox image there. */
export function writeRuntimeConfig(p: RuntimePaths, o: { registry: string; pauseImage: string; nodeDir: string }): void {
  mkdirSync(p.dir, { recursive: true });
  mkdirSync(p.cniConfDir, { recursive: true });
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  writeFileSync(
    p.config,
    `version = 2
root = "${join(p.dir, 'root')}"
state = "${join(p.dir, 'state')}"
[grpc]
  address = "${p.socket}"
[ttrpc]
  address = "${p.socket}.ttrpc"
[${cri}]
  sandbox_image = "${o.pauseImage}"
  # this machine's processes lack CAP_SYS_RESOURCE: a negative oom_score_adj is refused and
  # every sandbox would fail ("can't get final child's PID from pipe")
  restrict_oom_score_adj = true
  enable_selinux = false
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [${cri}.cni]
    bin_dir = "${cniBinDir}"
    conf_dir = "${p.cniConfDir}"
  [${cri}.registry.mirrors."${o.registry}"]
    endpoint = ["http://${o.registry}"]
`,
  );
  writeFileSync(
    join(p.cniConfDir, '10-configstore.conflist'),
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: 'configstore',
        plugins: [
          {
            type: 'bridge',
            bridge: bridgeName,
            isGateway: true,
            // no NAT: pods only talk to the node and each other
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: podCidr, gateway: podGateway }]],
              routes: [{ dst: '0.0.0.0/0' }],
              dataDir: join(o.nodeDir, 'cni', 'ipam'),
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    ),
  );
}
