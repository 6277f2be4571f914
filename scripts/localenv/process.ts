// Starting and stopping the local servers: detached processes with their output in a
// log file, recorded by pid so that `down` stops exactly what `up` started.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartedProcess {
  name: string;
  pid: number;
  /** Executable path, checked before a kill so a recycled pid is never hit. */
  command: string;
  log: string;
}

/** A port nobody listens on now (bound then released: callers retry on a rare clash). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function startProcess(name: string, command: string, args: string[], opts: { log: string; env?: NodeJS.ProcessEnv; cwd?: string }): StartedProcess {
  const fd = openSync(opts.log, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    return { name, pid: child.pid, command, log: opts.log };
  } finally {
    closeSync(fd);
  }
}

export function isRunning(p: StartedProcess): boolean {
  try {
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
    if (!cmdline.startsWith(p.command)) return false;
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(p: StartedProcess, graceMs = 5000): Promise<void> {
  if (!isRunning(p)) return;
  process.kill(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(p) && Date.now() < deadline) await sleep(50);
  if (isRunning(p)) {
    process.kill(p.pid, 'SIGKILL');
    while (isRunning(p)) await sleep(20);
  }
}

/** Polls `probe` until it resolves true; fails with the tail of the log if the process died or time ran out. */
export async function waitReady(p: StartedProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // gone on two checks in a row: on a loaded machine one check may see the child before its exec
  // (the parent's cmdline), and a start-up given up on that left a live server behind
  let goneOnce = false;
  for (;;) {
    if (await probe().catch(() => false)) return;
    const gone = !isRunning(p);
    if (gone && goneOnce) throw new Error(`${p.name} exited during start-up; last lines of ${p.log}:\n${tail(p.log)}`);
    goneOnce = gone;
    if (Date.now() > deadline) throw new Error(`${p.name} not ready after ${timeoutMs} ms; last lines of ${p.log}:\n${tail(p.log)}`);
    await sleep(100);
  }
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
