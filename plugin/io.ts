// What the commands see of the process: output streams and whether they are terminals, a
// line from stdin, the environment and the clock. main.ts gives the real ones; tests run the
// plugin in-process with their own (program.ts: run).
import { createInterface } from 'node:readline';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  /** One line typed on stdin (a confirmation), undefined at its end. */
  readLine(): Promise<string | undefined>;
  env: Record<string, string | undefined>;
  home: string;
  cwd: string;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** How often a followed operation is read again. */
  pollMs: number;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    readLine: () =>
      new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin });
        let answered = false;
        rl.once('line', (line) => ((answered = true), rl.close(), resolve(line)));
        rl.once('close', () => answered || resolve(undefined));
      }),
    env: process.env,
    home: process.env.HOME ?? '',
    cwd: process.cwd(),
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    pollMs: 1000,
  };
}
