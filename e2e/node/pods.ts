// One bound pod on the fake node: its first container runs as a local `configstore`
// process (image ignored), restarted per restartPolicy, probed for readiness, and its
// status, termination message and deletion handled as the kubelet does.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import type { CoreV1Api, V1ContainerStateTerminated, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { repoRoot } from '../../scripts/localenv/tools.js';
import { ContainerConfigError, containerEnv, expand } from './env.js';
import { buildStatus, now, podEvent, StatusWriter, type PodState } from './status.js';
import { prepareVolumes, rewritePaths } from './volumes.js';

const configstoreBin = join(repoRoot, 'scripts', 'configstore');

export interface NodeContext {
  core: CoreV1Api;
  nodeName: string;
  /** NODE_OPTIONS imports every pod process gets (DNS shim, orphan guard) for a namespace. */
  nodeOptions(namespace: string): string;
  restartBackoff: { initialMs: number; maxMs: number };
  log(msg: string): void;
}

interface Exit {
  code: number;
  /** StartError: the process could not be started. */
  reason?: string;
  message?: string;
  /** Where this run's output starts in the log file. */
  logStart?: number;
}

type Launch = { argv: string[]; env: Record<string, string> } | { startError: string };

/** A wait that deletion or node stop cuts short. */
class Alarm {
  private wake = () => {};
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => (clearTimeout(timer), resolve());
    });
  }
  ring(): void {
    this.wake();
  }
}

/** "0.0.0.0:P", "[::]:P" or ":P" → "<pod IP>:P": the pod's own network namespace. */
const listenOnPodIp = (value: string, ip: string) => value.replace(/^(?:0\.0\.0\.0|\[::\]|::)?:(\d+)$/, `${ip}:$1`);

export class PodWorker {
  readonly uid: string;
  readonly logFile: string;
  private readonly terminationLog: string;
  private readonly status: StatusWriter;
  private readonly alarm = new Alarm();
  private state: PodState;
  private conditions: V1PodCondition[] = [];
  private kill?: (signal: NodeJS.Signals) => void;
  private deleting = false;
  private stopped = false;
  private lastWarning = '';
  readonly done: Promise<void>;

  constructor(
    private readonly ctx: NodeContext,
    private pod: V1Pod,
    readonly ip: string,
    readonly dir: string,
  ) {
    this.uid = pod.metadata!.uid!;
    this.logFile = join(dir, 'container.log');
    this.terminationLog = join(dir, 'termination-log');
    this.status = new StatusWriter(ctx.core, ctx.log);
    this.state = { phase: 'Pending', podIP: ip, hostIP: '127.0.0.1', startTime: now(), state: { waiting: { reason: 'ContainerCreating' } }, restartCount: 0, ready: false };
    mkdirSync(dir, { recursive: true });
    this.done = this.run().catch((err: unknown) => ctx.log(`pod ${this.name}: worker failed: ${(err as Error).stack ?? String(err)}`));
  }

  private get name() {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  /** A newer version of the pod from the watch. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.deleting) {
      this.deleting = true;
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void podEvent(this.ctx.core, pod, this.ctx.nodeName, 'Normal', 'Killing', `Stopping container ${pod.spec!.containers[0]!.name}`);
      this.terminate(grace * 1000);
    }
  }

  /** The pod object is gone (force-deleted): stop at once, write nothing more. */
  gone(): Promise<void> {
    return this.stop(0);
  }

  /** Node shutdown: SIGTERM, SIGKILL after graceMs, no more API writes. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.terminate(graceMs);
    await this.done;
  }

  private terminate(graceMs: number): void {
    this.alarm.ring();
    const kill = this.kill;
    if (!kill) return;
    kill('SIGTERM');
    setTimeout(() => kill('SIGKILL'), graceMs).unref();
  }

  private publish(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const status = buildStatus(this.pod, this.state, this.conditions);
    this.conditions = status.conditions ?? [];
    return this.status.write(this.pod, status);
  }

  private warn(reason: string, message: string): void {
    if (message === this.lastWarning) return; // one Event per distinct problem, not per retry
    this.lastWarning = message;
    void podEvent(this.ctx.core, this.pod, this.ctx.nodeName, 'Warning', reason, message);
  }

  private async run(): Promise<void> {
    await this.publish();
    let backoffMs = 0;
    while (!this.deleting && !this.stopped) {
      if (backoffMs > 0) {
        const container = this.pod.spec!.containers[0]!.name;
        const message = `back-off ${backoffMs / 1000}s restarting failed container=${container} pod=${this.pod.metadata!.name}`;
        this.state = { ...this.state, state: { waiting: { reason: 'CrashLoopBackOff', message } } };
        await this.publish();
        this.warn('BackOff', `Back-off restarting failed container ${container} in pod ${this.pod.metadata!.name}`);
        await this.alarm.sleep(backoffMs);
        if (this.deleting || this.stopped) break;
      }
      let launch: Launch;
      try {
        launch = await this.prepare();
      } catch (err) {
        if (this.deleting || this.stopped) break;
        const message = (err as Error).message;
        if (err instanceof ContainerConfigError) {
          this.state = { ...this.state, state: { waiting: { reason: err.reason, message } } };
          await this.publish();
          this.warn(err.reason === 'ContainerCreating' ? 'FailedMount' : 'Failed', `Error: ${message}`);
        } else this.ctx.log(`pod ${this.name}: cannot prepare the container: ${message}`);
        await this.alarm.sleep(1000);
        continue;
      }
      if (this.deleting || this.stopped) break;
      const startedAt = now();
      const exit = 'startError' in launch ? { code: 128, reason: 'StartError', message: launch.startError } : await this.runOnce(launch);
      if (this.stopped) return;
      const terminated = this.terminated(exit, startedAt);
      const policy = this.pod.spec?.restartPolicy ?? 'Always';
      if (this.deleting || policy === 'Never' || (policy === 'OnFailure' && exit.code === 0)) {
        this.state = { ...this.state, phase: exit.code === 0 ? 'Succeeded' : 'Failed', state: { terminated }, ready: false };
        await this.publish();
        break;
      }
      // a container that ran 10 minutes restarts without back-off, as in the kubelet
      const ranMs = Date.now() - Date.parse(startedAt);
      backoffMs = ranMs > 600_000 ? this.ctx.restartBackoff.initialMs : Math.min(Math.max(backoffMs * 2, this.ctx.restartBackoff.initialMs), this.ctx.restartBackoff.maxMs);
      this.state = { ...this.state, restartCount: this.state.restartCount + 1, lastState: { terminated }, ready: false };
    }
    if (this.deleting && !this.stopped) await this.finishDeletion();
  }

  /** The kubelet's last step: the pod object goes once its process is gone. */
  private async finishDeletion(): Promise<void> {
    await this.status.flush();
    const { name, namespace } = this.pod.metadata as { name: string; namespace: string };
    await this.ctx.core
      .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } })
      .catch((err: { code?: number }) => {
        if (err.code !== 404 && err.code !== 409) this.ctx.log(`pod ${this.name}: delete failed: ${String(err)}`);
      });
  }

  /** The process's command line and environment, from the pod spec only. */
  private async prepare(): Promise<Launch> {
    const pod = { ...this.pod, status: { ...this.pod.status, podIP: this.ip, podIPs: [{ ip: this.ip }], hostIP: '127.0.0.1' } };
    const container = pod.spec!.containers[0]!;
    const mounts = await prepareVolumes(this.ctx.core, pod, container, this.dir);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(await containerEnv(this.ctx.core, pod, container))) env[k] = rewritePaths(v, mounts);
    if (env.CONFIGSTORE_LISTEN) env.CONFIGSTORE_LISTEN = listenOnPodIp(env.CONFIGSTORE_LISTEN, this.ip);
    const command = container.command ?? [];
    if (command.length > 0 && basename(command[0]!) !== 'configstore') {
      return { startError: `the fake node runs only configstore, not ${JSON.stringify(command)}` };
    }
    const argv = [...command.slice(1), ...(container.args ?? [])].map((a) => rewritePaths(expand(a, env), mounts));
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--listen' && argv[i + 1] !== undefined) argv[i + 1] = listenOnPodIp(argv[i + 1]!, this.ip);
      else if (argv[i]!.startsWith('--listen=')) argv[i] = `--listen=${listenOnPodIp(argv[i]!.slice(9), this.ip)}`;
    }
    // what the image and runtime add: PATH, HOME, HOSTNAME; the emulated /dev/termination-log
    const imports = this.ctx.nodeOptions(pod.metadata!.namespace!);
    Object.assign(env, {
      PATH: env.PATH ?? process.env.PATH ?? '/usr/bin:/bin',
      HOME: env.HOME ?? process.env.HOME ?? '/',
      HOSTNAME: pod.spec?.hostname ?? pod.metadata!.name!,
      CONFIGSTORE_TERMINATION_LOG: this.terminationLog,
      NODE_OPTIONS: env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ${imports}` : imports,
    });
    return { argv, env };
  }

  /** Starts the process, reports it running, probes it, resolves when it exits. */
  private async runOnce(launch: { argv: string[]; env: Record<string, string> }): Promise<Exit> {
    writeFileSync(this.terminationLog, ''); // each container run starts with an empty one
    const logStart = statSync(this.logFile, { throwIfNoEntry: false })?.size ?? 0;
    const out = openSync(this.logFile, 'a');
    const child = spawn(configstoreBin, launch.argv, { cwd: this.dir, env: launch.env, stdio: ['ignore', out, out] });
    closeSync(out);
    const exited = new Promise<Exit>((resolve) => {
      child.on('error', (err) => resolve({ code: 128, reason: 'StartError', message: err.message }));
      child.on('exit', (code, signal) => resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0) }));
    });
    this.kill = (signal) => child.kill(signal);
    const probe = this.pod.spec!.containers[0]!.readinessProbe;
    this.state = { ...this.state, phase: 'Running', state: { running: { startedAt: now() as unknown as Date } }, ready: !probe };
    this.lastWarning = '';
    await this.publish();
    void podEvent(this.ctx.core, this.pod, this.ctx.nodeName, 'Normal', 'Started', `Started container ${this.pod.spec!.containers[0]!.name}`);
    const probing = probe ? this.probeReadiness(exited) : Promise.resolve();
    const exit = await exited;
    this.kill = undefined;
    await probing;
    return { ...exit, logStart };
  }

  private terminated(exit: Exit, startedAt: string): V1ContainerStateTerminated {
    let message = exit.message ?? readFileSync(this.terminationLog).subarray(0, 4096).toString('utf8');
    const container = this.pod.spec!.containers[0]!;
    if (!message && exit.code !== 0 && container.terminationMessagePolicy === 'FallbackToLogsOnError') {
      // the kubelet's fallback: the end of this run's log, at most 80 lines and 2048 bytes
      const log = readFileSync(this.logFile).subarray(exit.logStart ?? 0);
      message = log.subarray(Math.max(0, log.length - 2048)).toString('utf8').split('\n').slice(-81).join('\n');
    }
    return {
      exitCode: exit.code,
      reason: exit.reason ?? (exit.code === 0 ? 'Completed' : 'Error'),
      ...(message ? { message } : {}),
      startedAt: startedAt as unknown as Date,
      finishedAt: now() as unknown as Date,
      containerID: `fake-node://${this.uid}/${this.state.restartCount}`,
    };
  }

  /** readinessProbe.httpGet against podIP:port, with the probe's period and thresholds. */
  private async probeReadiness(exited: Promise<unknown>): Promise<void> {
    let running = true;
    void exited.then(() => (running = false));
    // sleeps end early when the process exits
    const pause = (ms: number) => Promise.race([exited, new Promise((r) => setTimeout(r, ms).unref())]);
    const container = this.pod.spec!.containers[0]!;
    const probe = container.readinessProbe!;
    const get = probe.httpGet;
    const portName = get?.port;
    const port = typeof portName === 'number' || /^\d+$/.test(String(portName)) ? Number(portName) : container.ports?.find((p) => p.name === portName)?.containerPort;
    let successes = 0;
    let failures = 0;
    await pause((probe.initialDelaySeconds ?? 0) * 1000);
    while (running && !this.stopped) {
      let ok = false;
      let why = '';
      if (!get || port === undefined) why = `only httpGet probes on a known port are emulated (port ${String(portName)})`;
      else [ok, why] = await httpProbe(get.host || this.ip, port, get.path ?? '/', (probe.timeoutSeconds ?? 1) * 1000);
      if (!running) break;
      if (ok) {
        failures = 0;
        if (!this.state.ready && ++successes >= (probe.successThreshold ?? 1)) {
          this.state = { ...this.state, ready: true };
          await this.publish();
        }
      } else {
        successes = 0;
        ++failures;
        this.warn('Unhealthy', `Readiness probe failed: ${why}`);
        if (this.state.ready && failures >= (probe.failureThreshold ?? 3)) {
          this.state = { ...this.state, ready: false };
          await this.publish();
        }
      }
      await pause((probe.periodSeconds ?? 10) * 1000);
    }
  }
}

function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<[boolean, string]> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: timeoutMs, headers: { 'User-Agent': 'kube-probe/fake-node' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve([code >= 200 && code < 400, `HTTP probe failed with statuscode: ${code}`]);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve([false, `Get "http://${host}:${port}${path}": ${err.message}`]));
    req.end();
  });
}
