// The local container registry (distribution's `registry`, built from its Go module): the
// kubelet pulls from it as it would from any registry. Its storage stays in ~/.cache, so a
// warm run pushes only what changed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, stopProcess, waitReady, type StartedProcess } from '../process.js';
import { cacheDir } from './images.js';

export async function startRegistry(bin: string, nodeDir: string): Promise<{ address: string; process: StartedProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const address = `localhost:${port}`;
    const config = join(nodeDir, 'registry.yml');
    mkdirSync(join(cacheDir, 'registry'), { recursive: true });
    writeFileSync(
      config,
      `version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: ${join(cacheDir, 'registry')}}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:${port}
`,
    );
    const proc = startProcess('registry', bin, ['serve', config], { log: join(nodeDir, 'registry.log'), env: { OTEL_TRACES_EXPORTER: 'none' } });
    try {
      await waitReady(proc, async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).ok, 20_000);
      return { address, process: proc };
    } catch (err) {
      await stopProcess(proc);
      if (attempt >= 3) throw err;
    }
  }
}
