// The kubectl-configstore executable (bin/kubectl-configstore runs it with tsx; the krew
// package runs its bundle with node). kubectl finds it on PATH and hands it every argument.
import { processIo } from './io.js';
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2), processIo());
