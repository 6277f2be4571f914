// Schedule slots on a fake clock: which slot is due, at most one catch-up after downtime,
// the starting deadline, jitter, time zones across a DST change, and refused schedules.
import { describe, expect, it } from 'vitest';
import { checkTimeZone, decideSlot, jitterMs, parseSchedule, runName, ScheduleError } from './slots.js';

const t = (iso: string) => new Date(iso);
const nightly = parseSchedule('0 2 * * *');

describe('schedule slots', () => {
  it('nothing is due before the first slot after creation; the slot is due once it passes', () => {
    const createdAt = t('2026-06-01T10:00:00Z');
    const before = decideSlot(nightly, { lastSlot: undefined, createdAt, now: t('2026-06-02T01:59:00Z') });
    expect(before.due).toBeUndefined();
    expect(before.next).toEqual(t('2026-06-02T02:00:00Z'));
    expect(before.wakeAt).toEqual(t('2026-06-02T02:00:00Z'));
    const after = decideSlot(nightly, { lastSlot: undefined, createdAt, now: t('2026-06-02T02:00:05Z') });
    expect(after).toMatchObject({ due: t('2026-06-02T02:00:00Z'), skipped: 0, next: t('2026-06-03T02:00:00Z') });
    // once run, the same slot is not due again
    expect(decideSlot(nightly, { lastSlot: after.due, createdAt, now: t('2026-06-02T02:30:00Z') }).due).toBeUndefined();
  });

  it('after downtime runs ONE catch-up, the latest missed slot, and counts the others as skipped', () => {
    const d = decideSlot(nightly, { lastSlot: t('2026-06-02T02:00:00Z'), createdAt: t('2026-06-01T00:00:00Z'), now: t('2026-06-06T09:00:00Z') });
    expect(d.due).toEqual(t('2026-06-06T02:00:00Z'));
    expect(d.skipped).toBe(3); // the 3rd, 4th and 5th
  });

  it('a slot older than startingDeadlineSeconds is skipped with the reason, not run late', () => {
    const s = { lastSlot: t('2026-06-02T02:00:00Z'), createdAt: t('2026-06-01T00:00:00Z'), startingDeadlineSeconds: 600 };
    expect(decideSlot(nightly, { ...s, now: t('2026-06-03T02:09:00Z') }).due).toEqual(t('2026-06-03T02:00:00Z'));
    const late = decideSlot(nightly, { ...s, now: t('2026-06-03T02:11:00Z') });
    expect(late.due).toBeUndefined();
    expect(late.skipped).toBe(1);
    expect(late.skippedReason).toBe('slot 2026-06-03T02:00:00.000Z was 660s ago, past startingDeadlineSeconds 600');
  });

  it('a run starts its jitter after the slot, and the jitter is fixed per schedule and bounded', () => {
    const s = { lastSlot: t('2026-06-02T02:00:00Z'), createdAt: t('2026-06-01T00:00:00Z'), jitterMs: 30_000 };
    const early = decideSlot(nightly, { ...s, now: t('2026-06-03T02:00:10Z') });
    expect(early.due).toBeUndefined();
    expect(early.wakeAt).toEqual(t('2026-06-03T02:00:30Z'));
    expect(decideSlot(nightly, { ...s, now: t('2026-06-03T02:00:31Z') }).due).toEqual(t('2026-06-03T02:00:00Z'));

    const now = t('2026-06-01T00:00:00Z');
    const j = jitterMs('uid-a', nightly, now);
    expect(jitterMs('uid-a', nightly, now)).toBe(j);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => jitterMs(`uid-${i}`, nightly, now)));
    expect(spread.size).toBeGreaterThan(15);
    for (const v of spread) expect(v).toBeLessThan(60_000);
    expect(jitterMs('uid-a', parseSchedule('* * * * *'), now)).toBeLessThan(6_000); // a tenth of a minute
  });

  it('slots follow the time zone, DST included', () => {
    const berlin = parseSchedule('30 2 * * *', 'Europe/Berlin');
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST; the 02:30 run happens at 03:30 CEST (01:30Z)
    const d = decideSlot(berlin, { lastSlot: t('2026-03-28T01:30:00Z'), createdAt: t('2026-03-01T00:00:00Z'), now: t('2026-03-29T02:00:00Z') });
    expect(d.due).toEqual(t('2026-03-29T01:30:00Z'));
    expect(d.next).toEqual(t('2026-03-30T00:30:00Z')); // 02:30 CEST
  });

  it('refuses 6-field schedules, unknown macros, bad fields and time zones, saying what to write', () => {
    expect(() => parseSchedule('0 2 * * * *')).toThrow(/has 6 fields; expected the standard 5 .* \(a sixth field would be read as seconds\)/);
    expect(() => parseSchedule('@fortnightly')).toThrow(/unknown macro/);
    expect(() => parseSchedule('61 * * * *')).toThrow(ScheduleError);
    expect(() => parseSchedule('61 * * * *')).toThrow(/^schedule "61 \* \* \* \*": Constraint error, got value 61 expected range 0-59$/);
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/timeZone "Mars\/Olympus" is not an IANA time zone name/);
    expect(parseSchedule('@daily')(t('2026-06-01T12:00:00Z')).next().toDate()).toEqual(t('2026-06-02T00:00:00Z'));
  });

  it('names a run by its schedule and UTC slot', () => {
    expect(runName('nightly', t('2026-06-03T02:00:00Z'))).toBe('nightly-202606030200');
  });
});
