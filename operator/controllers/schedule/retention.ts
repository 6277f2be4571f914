// Which backups a schedule keeps: grandfather-father-son (the newest N, the newest of each of
// the last N days, ISO weeks and months, in the schedule's time zone), never fewer than
// `minVerified` good ones, and nothing at all pruned while the newest run failed (a broken
// backup pipeline must not eat the backups that still work). Pure: the reconciler gives it
// the list and acts on the answer.

export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  /** Good backups always kept, whatever the rest says (default 1). */
  minVerified?: number;
}

export interface BackupCandidate {
  name: string;
  completedAt: Date;
  /** Completed and verified (the export Job read it back and the server dry-run imported it). */
  good: boolean;
}

export interface RetentionPlan {
  /** Good backups kept, each with why (`last`, `daily 2026-06-01`, `weekly 2026-W22`, `monthly 2026-06`, `minVerified`). */
  keep: { name: string; reasons: string[] }[];
  /** Good backups the policy lets go, oldest first. */
  prune: string[];
  /** Why nothing is pruned, when that overrides the policy. */
  held?: string;
}

export const defaultMinVerified = 1;

/** The calendar parts of `d` in `timeZone`. */
function partsIn(d: Date, timeZone: string): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 week of a calendar date (weeks start on Monday; week 1 holds the first Thursday). */
function isoWeek(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${weekYear}-W${pad(week)}`;
}

export function bucketsOf(d: Date, timeZone: string): { daily: string; weekly: string; monthly: string } {
  const { year, month, day } = partsIn(d, timeZone);
  return { daily: `${year}-${pad(month)}-${pad(day)}`, weekly: isoWeek(year, month, day), monthly: `${year}-${pad(month)}` };
}

/**
 * The plan for `backups` (any order). `newestRunFailed`: the schedule's latest run ended
 * Failed; then nothing is pruned until one succeeds again.
 */
export function planRetention(backups: BackupCandidate[], policy: RetentionPolicy, opts: { timeZone: string; newestRunFailed: boolean }): RetentionPlan {
  const good = backups.filter((b) => b.good).sort((a, b) => b.completedAt.getTime() - a.completedAt.getTime() || b.name.localeCompare(a.name));
  const reasons = new Map<string, string[]>();
  const keep = (name: string, why: string) => reasons.set(name, [...(reasons.get(name) ?? []), why]);

  good.slice(0, policy.keepLast ?? 0).forEach((b) => keep(b.name, 'last'));
  for (const period of ['daily', 'weekly', 'monthly'] as const) {
    const n = policy[`keep${period[0]!.toUpperCase()}${period.slice(1)}` as 'keepDaily' | 'keepWeekly' | 'keepMonthly'] ?? 0;
    const seen = new Set<string>();
    for (const b of good) {
      if (seen.size >= n) break;
      const bucket = bucketsOf(b.completedAt, opts.timeZone)[period];
      if (seen.has(bucket)) continue; // the newest of its period is kept already
      seen.add(bucket);
      keep(b.name, `${period} ${bucket}`);
    }
  }
  // the floor: whatever the policy, the newest good ones stay
  good.slice(0, policy.minVerified ?? defaultMinVerified).forEach((b) => {
    if (!reasons.has(b.name)) keep(b.name, 'minVerified');
  });

  const kept = good.filter((b) => reasons.has(b.name)).map((b) => ({ name: b.name, reasons: reasons.get(b.name)! }));
  const prunable = good
    .filter((b) => !reasons.has(b.name))
    .reverse()
    .map((b) => b.name);
  if (opts.newestRunFailed && prunable.length > 0) {
    return {
      keep: [...kept, ...prunable.map((name) => ({ name, reasons: ['held'] }))],
      prune: [],
      held: 'the newest run failed: nothing is pruned until one succeeds',
    };
  }
  return { keep: kept, prune: prunable };
}
