// `npm start -- --no-kube`: one configstore on its embedded default — a local etcd and posix
// object storage, both under .local/ (kept across runs) — in the foreground. Ctrl-C stops both.
// (Plain `npm start` is the operator demo, scripts/demo.ts.)
//   npm start -- --no-kube [--port 4000] [--dir .local]
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEtcd } from './localenv/etcd.js';
import { stopProcess, tail } from './localenv/process.js';
import { binary, ensureTools, repoRoot } from './localenv/tools.js';

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\nusage: npm start -- --no-kube [--port 4000] [--dir .local]\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({ options: { port: { type: 'string', default: process.env.PORT ?? '4000' }, dir: { type: 'string', default: inRepo('.local') } } }));
} catch (err) {
  fail((err as Error).message);
}
function inRepo(...parts: string[]) {
  return resolve(repoRoot, ...parts);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port ${JSON.stringify(values.port)} is not a port number`);
const dir = resolve(values.dir);
const show = (p: string) => relative(process.cwd(), p) || '.';
mkdirSync(dir, { recursive: true });

ensureTools(['etcd']);
const etcd = await startEtcd(binary('etcd'), dir, 'etcd');
const log = inRepo(dir, 'configstore.log');
const logFd = openSync(log, 'a');
const url = `http://127.0.0.1:${port}`;
// the CLI as a child: its one-line errors on our stderr, its JSON logs in the log file
const server = spawn(process.execPath, ['--import', 'tsx', inRepo('configstore', 'cli', 'main.ts'), 'serve'], {
  cwd: repoRoot,
  stdio: ['ignore', logFd, 'inherit'],
  env: {
    ...process.env,
    CONFIGSTORE_LISTEN: `127.0.0.1:${port}`,
    CONFIGSTORE_ETCD_ENDPOINTS: etcd.endpoint,
    CONFIGSTORE_ETCD_PREFIX: '/configstore/',
    CONFIGSTORE_DATA_DIR: inRepo(dir, 'data'),
    CONFIGSTORE_OBJECT_STORAGE: pathToFileURL(inRepo(dir, 'objects')).href,
  },
});
const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));

async function stopAll(code: number): Promise<never> {
  if (server.exitCode === null) server.kill('SIGTERM');
  await exited;
  await stopProcess(etcd.process);
  process.exit(code);
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nstopping configstore and etcd…\n');
    void stopAll(0);
  });
}

// whatever goes wrong from here on, nothing started is left running
process.on('uncaughtException', (err) => {
  process.stderr.write(`npm start: ${err.message}\n`);
  void stopAll(1);
});

const deadline = Date.now() + 60_000;
while (
  !(await fetch(`${url}/readyz`).then(
    (r) => r.ok,
    () => false,
  ))
) {
  if (server.exitCode !== null || Date.now() > deadline) {
    process.stderr.write(`configstore did not start; last lines of ${show(log)}:\n${tail(log, 5)}\n`);
    await stopAll(1);
  }
  await sleep(100);
}

process.stdout.write(
  [
    `configstore is up at ${url}`,
    `  etcd ${etcd.endpoint}, object storage and read model in ${show(dir)}/ (kept across runs; delete it to start empty)`,
    `  logs: ${show(log)} (JSON), etcd: ${show(inRepo(dir, 'etcd.log'))}`,
    '',
    'Try:',
    `  curl -s -XPOST localhost:${port}/api/v1alpha/users -H 'content-type: application/json' -d '{"name":"alice"}'`,
    `  curl -s localhost:${port}/api/v1alpha/users`,
    `  curl -s localhost:${port}/api/v1alpha/openapi.json   # the API, generated from its schemas`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);
const code = await exited;
if (!stopping) {
  process.stderr.write(`configstore exited (code ${code}); last lines of ${show(log)}:\n${tail(log, 5)}\n`);
  await stopAll(1);
}
