// `npm run gen:health`: for every health check in health/argocd/<group>/<Kind>/, writes its
// testdata/*.yaml from its scenarios.ts (the real reconcilers on the in-memory API server),
// then health/argocd/argocd-cm.yaml from the health.lua files. health/argocd/health.unit.test.ts
// fails when either is stale. health_test.yaml (the expectations) is written by hand.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { argocdCmFile, renderArgocdCm } from '../health/argocd/lib/argocdcm.js';
import { healthChecks, healthRoot } from '../health/argocd/lib/checks.js';
import { generateTestdata, testdataOnDisk } from '../health/argocd/lib/testdata.js';

if (import.meta.url === `file://${process.argv[1]}`) {
  const checks = healthChecks();
  for (const check of checks) {
    const files = await generateTestdata(check);
    mkdirSync(join(check.dir, 'testdata'), { recursive: true });
    for (const stale of testdataOnDisk(check).filter((f) => !files.has(f))) rmSync(join(check.dir, stale));
    for (const [file, text] of files) writeFileSync(join(check.dir, file), text);
    console.log(`${relative(process.cwd(), check.dir)}: ${files.size} testdata objects`);
  }
  writeFileSync(join(healthRoot, argocdCmFile), renderArgocdCm(checks));
  console.log(`${relative(process.cwd(), join(healthRoot, argocdCmFile))}: ${checks.length} health checks`);
}
