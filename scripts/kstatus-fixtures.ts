// Prints the kstatus fixtures (testsupport/kstatus: every operator kind in every phase, written
// by the real reconcilers on the in-memory API server) as YAML documents, each preceded by a
// comment naming its phase and the kstatus result we intend. For a look, or for other checks
// (Argo CD health tests). Feed them to the real library:
//   npx tsx scripts/kstatus-fixtures.ts | "$(scripts/install-tools --print-dir kstatus)/kstatus"
import { stringify } from 'yaml';
import { kstatusFixtures, type KstatusFixture } from '../testsupport/kstatus/index.js';

export function fixturesYaml(fixtures: KstatusFixture[]): string {
  return fixtures.map((f) => `# ${f.kind}: ${f.phase}\n# expected: ${f.expected} (${f.why})\n${stringify(f.object, { lineWidth: 0 })}`).join('---\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(fixturesYaml(await kstatusFixtures()));
}
