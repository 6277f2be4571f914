// Starts the real servers once per test run, or reuses the environment named by
// LOCAL_ENV_DIR (after `eval "$(scripts/local-env up --kube)"`), and hands it to the tests.
// The environment has a real node unless LOCAL_ENV_NODE=0 (or LOCAL_ENV_KUBE=0: no Kubernetes).
import type { TestProject } from 'vitest/node';
import { down, readState, up, type LocalEnvState } from './env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    localEnv: LocalEnvState;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reuse = process.env.LOCAL_ENV_DIR;
  if (reuse) {
    project.provide('localEnv', readState(reuse));
    return async () => {};
  }
  const started = Date.now();
  const state = await up({ kube: process.env.LOCAL_ENV_KUBE !== '0', node: process.env.LOCAL_ENV_KUBE !== '0' && process.env.LOCAL_ENV_NODE !== '0' });
  process.stderr.write(`[local-env] servers up in ${((Date.now() - started) / 1000).toFixed(1)} s (${state.dir})\n`);
  project.provide('localEnv', state);
  return async () => {
    await down(state.dir, { remove: !process.env.LOCAL_ENV_KEEP });
  };
}
