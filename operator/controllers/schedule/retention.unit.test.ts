// Retention on a fake calendar: a year of nightly backups pruned by grandfather-father-son,
// the floor that keeps the only good backup, and nothing pruned while the newest run failed.
import { describe, expect, it } from 'vitest';
import { bucketsOf, planRetention, type BackupCandidate } from './retention.js';

const day = 86_400_000;
/** A good backup every night at 02:00 UTC for `n` nights up to 2026-06-30. */
function nightly(n: number): BackupCandidate[] {
  const last = Date.parse('2026-06-30T02:00:00Z');
  return Array.from({ length: n }, (_, i) => {
    const completedAt = new Date(last - i * day);
    return { name: `nightly-${completedAt.toISOString().slice(0, 10)}`, completedAt, good: true };
  });
}

describe('retention', () => {
  it('ISO weeks and months in the time zone asked', () => {
    expect(bucketsOf(new Date('2026-01-01T12:00:00Z'), 'UTC')).toEqual({ daily: '2026-01-01', weekly: '2026-W01', monthly: '2026-01' });
    expect(bucketsOf(new Date('2027-01-01T12:00:00Z'), 'UTC').weekly).toBe('2026-W53'); // a Friday: the week of 2026's last Thursday
    // 23:30 UTC on 31 May is already June in Tokyo
    expect(bucketsOf(new Date('2026-05-31T23:30:00Z'), 'Asia/Tokyo')).toMatchObject({ daily: '2026-06-01', monthly: '2026-06' });
  });

  it('grandfather-father-son over a year of nightly backups', () => {
    const plan = planRetention(nightly(365), { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }, { timeZone: 'UTC', newestRunFailed: false });
    const kept = plan.keep.map((k) => k.name);
    // 7 days (the 3 last among them), then the newest of 4 ISO weeks (the first inside the 7 days), then of 6 months
    expect(kept.slice(0, 7)).toEqual(['30', '29', '28', '27', '26', '25', '24'].map((d) => `nightly-2026-06-${d}`));
    expect(plan.keep.find((k) => k.name === 'nightly-2026-06-30')!.reasons).toEqual(['last', 'daily 2026-06-30', 'weekly 2026-W27', 'monthly 2026-06']);
    expect(kept).toContain('nightly-2026-06-21'); // the Sunday ending ISO week 25 (2026-06-30 is a Tuesday)
    expect(kept).toContain('nightly-2026-05-31'); // the newest of May
    expect(kept).toContain('nightly-2026-01-31'); // the sixth month
    expect(kept).not.toContain('nightly-2025-12-31');
    expect(kept).toContain('nightly-2026-06-14'); // ISO week 24
    expect(kept).toHaveLength(7 + 2 + 5); // weeks 25 and 24 beyond the 7 days (week 26's newest, the 28th, is among them); May back to January
    expect(plan.prune).toHaveLength(365 - kept.length);
    expect(plan.prune[0]).toBe('nightly-2025-07-01'); // oldest first
    expect(plan.held).toBeUndefined();
  });

  it('never prunes below minVerified good backups, and counts only good ones', () => {
    const backups: BackupCandidate[] = [...nightly(3), { name: 'broken-newest', completedAt: new Date('2026-07-01T02:00:00Z'), good: false }];
    const plan = planRetention(backups, {}, { timeZone: 'UTC', newestRunFailed: false });
    expect(plan.keep).toEqual([{ name: 'nightly-2026-06-30', reasons: ['minVerified'] }]);
    expect(plan.prune).toEqual(['nightly-2026-06-28', 'nightly-2026-06-29']);
    expect(planRetention(backups, { minVerified: 2 }, { timeZone: 'UTC', newestRunFailed: false }).prune).toEqual(['nightly-2026-06-28']);
  });

  it('prunes nothing while the newest run failed', () => {
    const plan = planRetention(nightly(10), { keepLast: 2 }, { timeZone: 'UTC', newestRunFailed: true });
    expect(plan.prune).toEqual([]);
    expect(plan.keep).toHaveLength(10);
    expect(plan.held).toMatch(/newest run failed/);
  });
});
