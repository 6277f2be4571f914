import { describe, expect, it } from 'vitest';
import { backupsOf, lastGoodBackup, latestOf, nextRun } from './ownership.js';
import { backup, schedule } from '../testsupport/pluginobjects.js';

describe("a cluster's backups", () => {
  const schedules = [schedule('nightly', 'main'), schedule('other-nightly', 'other')];
  const records = [
    backup('by-schedule', { createdAt: '2026-06-01T02:00:00Z', schedule: 'nightly' }),
    backup('by-uid', { createdAt: '2026-06-02T02:00:00Z', source: { uid: 'uid-main', name: 'renamed' } }),
    backup('by-name-elsewhere', { createdAt: '2026-06-03T02:00:00Z', source: { namespace: 'lost', name: 'main', uid: 'old-uid' } }),
    backup('of-other', { createdAt: '2026-06-04T02:00:00Z', schedule: 'other-nightly', source: { name: 'other' } }),
  ];

  it("are its schedules' records and those whose manifest names it (by uid, or by name in any namespace)", () => {
    expect(backupsOf({ name: 'main', uid: 'uid-main' }, records, schedules).map((b) => b.metadata.name)).toEqual([
      'by-schedule',
      'by-uid',
      'by-name-elsewhere',
    ]);
    expect(backupsOf({ name: 'other' }, records, schedules).map((b) => b.metadata.name)).toEqual(['of-other']);
  });

  it('the last good one is the newest Available by createdAt', () => {
    const b = [...records, backup('newest-missing', { createdAt: '2026-07-01T00:00:00Z', available: false, schedule: 'nightly' })];
    expect(lastGoodBackup(backupsOf({ name: 'main', uid: 'uid-main' }, b, schedules))?.metadata.name).toBe('by-name-elsewhere');
    expect(lastGoodBackup([])).toBeUndefined();
  });

  it('latest is refused when the Available backups come from more than one cluster', () => {
    const mine = backupsOf({ name: 'main', uid: 'uid-main' }, records, schedules);
    expect(latestOf(mine)).toMatchObject({ error: expect.stringMatching(/^latest is ambiguous: the Available backups come from 3 clusters/) });
    expect(latestOf(mine.slice(0, 1))).toMatchObject({ backup: { metadata: { name: 'by-schedule' } } });
    expect(latestOf([])).toEqual({ error: 'no Available ConfigStoreBackup' });
  });

  it('the next run is the soonest of the schedules not suspended', () => {
    expect(
      nextRun([
        schedule('a', 'main', { next: '2026-06-02T02:00:00Z' }),
        schedule('b', 'main', { next: '2026-06-01T03:00:00Z', suspend: true }),
        schedule('c', 'main', { next: '2026-06-01T05:00:00Z' }),
      ]),
    ).toEqual({ time: '2026-06-01T05:00:00Z', schedule: 'c' });
    expect(nextRun([schedule('a', 'main')])).toBeUndefined();
  });
});
