// `scripts/local-env up|down|status`: see the comment at the top of scripts/local-env.
import { parseArgs } from 'node:util';
import { down, envVars, readState, up } from './env.js';
import { leftovers } from './node/teardown.js';
import { isRunning } from './process.js';

const usage =
  'usage: scripts/local-env up [--kube | --control-plane] [--dir DIR] | run [--kube | --control-plane] | status [--dir DIR] | down [--dir DIR] [--keep] | leftovers [--since MS]';

function fail(message: string): never {
  process.stderr.write(`local-env: ${message}\n${usage}\n`);
  process.exit(2);
}

function stateDir(dir: string | undefined): string {
  const d = dir ?? process.env.LOCAL_ENV_DIR;
  if (!d) fail('no environment named: pass --dir or set LOCAL_ENV_DIR (from `eval "$(scripts/local-env up)"`)');
  return d;
}

const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        kube: { type: 'boolean' },
        node: { type: 'boolean' },
        'control-plane': { type: 'boolean' },
        dir: { type: 'string' },
        keep: { type: 'boolean' },
        since: { type: 'string' },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { positionals, values } = parsed;
  // --kube (or --node): the control plane and a real node; --control-plane: no node (pods stay Pending)
  const kube = values.kube === true || values.node === true || values['control-plane'] === true;
  const node = kube && values['control-plane'] !== true;
  const [command, ...rest] = positionals;
  if (rest.length) fail(`unexpected argument ${rest[0]}`);
  switch (command) {
    case 'up': {
      const started = Date.now();
      const state = await up({ kube, node, ...(values.dir ? { dir: values.dir } : {}) });
      const vars = { ...envVars(state), PATH: `${state.binDir}:${process.env.CALLER_PATH ?? process.env.PATH ?? ''}` };
      for (const [k, v] of Object.entries(vars)) process.stdout.write(`export ${k}=${quote(v)}\n`);
      const parts = [`etcd ${state.etcd.endpoint}`, `MinIO ${state.s3.endpoint} (bucket ${state.s3.bucket})`];
      if (state.kube) parts.push(`kube-apiserver ${state.kube.server}`);
      if (state.node) parts.push(`node ${state.node.name} (${state.node.ip}), image ${state.node.image} (${(state.node.imageBytes / 1e6).toFixed(0)} MB)`);
      process.stderr.write(`local-env: up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${parts.join(', ')}; state in ${state.dir}\n`);
      return;
    }
    case 'run': {
      // foreground: up, say what is up, down on Ctrl-C / SIGTERM
      const state = await up({ kube, node });
      const vars = envVars(state);
      process.stdout.write(
        [
          'configstore local environment is up (the configstore server itself lands with issue 3):',
          `  etcd            ${state.etcd.endpoint}`,
          `  S3 (MinIO)      ${state.s3.endpoint}  bucket ${state.s3.bucket}, key ${state.s3.accessKeyId}`,
          ...(state.kube ? [`  kube-apiserver  ${state.kube.server}  (KUBECONFIG=${state.kube.kubeconfig})`] : []),
          `  state and logs  ${state.dir}`,
          '',
          'In another shell:',
          ...Object.entries({ ...vars, PATH: `${state.binDir}:$PATH` }).map(([k, v]) => `  export ${k}=${k === 'PATH' ? `"${v}"` : quote(v)}`),
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const keepAlive = setInterval(() => undefined, 1 << 30); // signal listeners alone do not keep node running
        const stop = () => (clearInterval(keepAlive), resolve());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      const stopped = await down(state.dir, { remove: true });
      process.stderr.write(`\nlocal-env: stopped ${stopped.join(', ')}\n`);
      return;
    }
    case 'status': {
      const state = readState(stateDir(values.dir));
      for (const p of state.processes) process.stdout.write(`${p.name}\tpid ${p.pid}\t${isRunning(p) ? 'running' : 'stopped'}\t${p.log}\n`);
      return;
    }
    case 'down': {
      const dir = stateDir(values.dir);
      const stopped = await down(dir, { remove: values.keep !== true });
      process.stderr.write(`local-env: stopped ${stopped.length ? stopped.join(', ') : 'nothing (already stopped)'}\n`);
      return;
    }
    case 'leftovers': {
      // what a node left on the machine (mounts, interfaces, iptables chains, cgroups…): exit 1 if
      // anything; --since MS (epoch ms) leaves out mounts and netns of environments begun earlier
      const since = values.since === undefined ? 0 : Number(values.since);
      if (!Number.isFinite(since)) fail(`--since takes milliseconds since the epoch, not ${values.since}`);
      const found = leftovers({ stateDir: '/tmp/configstore-env-', since });
      for (const f of found) process.stdout.write(`${f}\n`);
      if (found.length) process.exit(1);
      process.stderr.write('local-env: no node leftovers\n');
      return;
    }
    default:
      fail(command ? `unknown command ${command}` : 'no command');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`local-env: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
