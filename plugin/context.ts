// What every command gets: the process (io) and the API server, connected on first use (so
// --help and printing a snippet need no kubeconfig).
import type { Io } from './io.js';
import type { Kube } from './kube.js';

export interface Ctx {
  io: Io;
  kube(): Kube;
}
