// Every kind's kstatus fixtures (fixture.ts says what they are). A new kind: add its generator
// to `generators` (the unit test fails until every CRD of operator/api has one).
import { backupFixtures } from './backup.js';
import { clusterFixtures } from './cluster.js';
import { genericFixtures, type KstatusFixture } from './fixture.js';
import { locationFixtures } from './location.js';
import { maintenanceFixtures } from './maintenance.js';
import { scheduleFixtures } from './schedule.js';

export type { KstatusFixture, KstatusResult } from './fixture.js';

/** One generator per kind of operator/api. */
export const generators: Record<string, () => Promise<KstatusFixture[]>> = {
  ConfigStoreCluster: clusterFixtures,
  ConfigStoreMaintenance: maintenanceFixtures,
  ConfigStoreBackupSchedule: scheduleFixtures,
  ConfigStoreBackup: backupFixtures,
  ConfigStoreBackupLocation: locationFixtures,
};

/** Every kind's fixtures, each kind's phases followed by its generic three. */
export async function kstatusFixtures(): Promise<KstatusFixture[]> {
  const all: KstatusFixture[] = [];
  for (const generate of Object.values(generators)) {
    const phases = await generate();
    const current = phases.find((f) => f.expected === 'Current');
    if (!current) throw new Error(`${phases[0]?.kind}: no phase is Current`);
    all.push(...phases, ...genericFixtures(current.object));
  }
  return all;
}
