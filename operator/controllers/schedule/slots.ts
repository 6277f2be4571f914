// When a backup schedule runs: its cron slots (cron-parser, in the schedule's IANA time
// zone), the one slot due now, and what was missed. As Kubernetes CronJob, a slot is its
// nominal time; unlike it, after downtime at most ONE run catches up (the latest missed
// slot) and the rest are counted as skipped, and a run starts a deterministic jitter after
// its slot so that many schedules on the same minute do not all fire at once. Pure: the
// reconciler gives it the clock and the schedule's last slot.
import { createHash } from 'node:crypto';
import { CronExpressionParser, type CronExpression } from 'cron-parser';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

const macros = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Checks `timeZone` is an IANA name this process knows (Node carries the tz database). */
export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new ScheduleError(`timeZone ${JSON.stringify(timeZone)} is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/New_York)`);
  }
}

/**
 * The schedule as cron-parser reads it. Standard 5 fields only: cron-parser would read a
 * 6-field expression's first field as seconds, a classic misfire ("0 2 * * * *" every
 * minute of hour 2 instead of 02:00 daily), so it is refused.
 */
export function parseSchedule(schedule: string, timeZone = 'UTC'): (from: Date) => CronExpression {
  const text = schedule.trim();
  const fields = text.split(/\s+/);
  if (text.startsWith('@')) {
    if (!macros.has(text)) throw new ScheduleError(`schedule ${JSON.stringify(schedule)}: unknown macro (one of ${[...macros].join(', ')})`);
  } else if (fields.length !== 5) {
    throw new ScheduleError(
      `schedule ${JSON.stringify(schedule)} has ${fields.length} fields; expected the standard 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *" for 02:00 daily${fields.length === 6 ? ' (a sixth field would be read as seconds)' : ''}`,
    );
  }
  checkTimeZone(timeZone);
  const at = (from: Date) => CronExpressionParser.parse(text, { currentDate: from, tz: timeZone });
  try {
    at(new Date()).next();
  } catch (err) {
    throw new ScheduleError(`schedule ${JSON.stringify(schedule)}: ${(err as Error).message}`);
  }
  return at;
}

export interface SlotState {
  /** The slot of the schedule's last run (status.lastScheduleTime); absent: never ran. */
  lastSlot: Date | undefined;
  /** When the schedule was created: slots before it are not missed. */
  createdAt: Date;
  now: Date;
  /** A slot older than this when its turn comes is skipped, not run late. */
  startingDeadlineSeconds?: number;
  /** Delay after each slot before its run starts (see jitterMs). */
  jitterMs?: number;
}

export interface SlotDecision {
  /** The slot to run now, if one is due (its nominal time names the run). */
  due?: Date;
  /** Slots since the last run that will never run: older missed ones, or the latest past its deadline. */
  skipped: number;
  /** Why the latest slot was not run, when it was skipped (past its deadline), and that slot. */
  skippedReason?: string;
  skippedSlot?: Date;
  /** The next slot after now. */
  next: Date;
  /** When to look again: the next slot plus jitter, or the due slot's jitter end. */
  wakeAt: Date;
}

/** How many slots are counted at most when reporting a long downtime (the count says "at least"). */
export const maxCountedSlots = 10_000;

/**
 * The latest slot at or before `t`. cron-parser's prev() skips a slot that DST moved (02:30 on
 * the night clocks jump is run at 03:30, and next() yields it): next() from prev()'s answer
 * finds it.
 */
function latestSlot(at: (from: Date) => CronExpression, t: Date): Date {
  let slot = at(new Date(t.getTime() + 1))
    .prev()
    .toDate();
  const it = at(slot);
  for (let s = it.next().toDate(); s <= t; s = it.next().toDate()) slot = s;
  return slot;
}

export function decideSlot(at: (from: Date) => CronExpression, s: SlotState): SlotDecision {
  const jitter = s.jitterMs ?? 0;
  const since = s.lastSlot ?? s.createdAt;
  const next = at(s.now).next().toDate();
  // a slot is due `jitter` after its nominal time
  const latest = latestSlot(at, new Date(s.now.getTime() - jitter));
  if (latest <= since) {
    // one in its jitter window: look again when it ends
    const pending = latestSlot(at, s.now);
    const wakeAt = pending > since ? new Date(pending.getTime() + jitter) : new Date(next.getTime() + jitter);
    return { skipped: 0, next, wakeAt };
  }
  // slots strictly between the last run and the latest: missed, never run
  let missed = 0;
  const it = at(since);
  for (let slot = it.next().toDate(); slot < latest && missed < maxCountedSlots; slot = it.next().toDate()) missed++;
  const wakeAt = new Date(next.getTime() + jitter);
  const lateMs = s.now.getTime() - latest.getTime();
  if (s.startingDeadlineSeconds !== undefined && lateMs > s.startingDeadlineSeconds * 1000 + jitter) {
    const skippedReason = `slot ${latest.toISOString()} was ${Math.round(lateMs / 1000)}s ago, past startingDeadlineSeconds ${s.startingDeadlineSeconds}`;
    return { skipped: missed + 1, skippedReason, skippedSlot: latest, next, wakeAt };
  }
  return { due: latest, skipped: missed, next, wakeAt };
}

/**
 * A delay in [0, min(maxMs, a tenth of the schedule's period)) fixed per schedule (its uid):
 * the same schedule always starts at the same offset, different ones spread out.
 */
/** The time between two slots after `now` (a cron's period, where it has one). */
export function periodMs(at: (from: Date) => CronExpression, now: Date): number {
  const it = at(now);
  const a = it.next().toDate().getTime();
  return it.next().toDate().getTime() - a;
}

export function jitterMs(uid: string, at: (from: Date) => CronExpression, now: Date, maxMs = 60_000): number {
  const window = Math.min(maxMs, Math.floor(periodMs(at, now) / 10));
  if (window <= 0) return 0;
  return createHash('sha256').update(uid).digest().readUInt32BE(0) % window;
}

/** `<schedule>-<UTC slot as yyyymmddhhmm>`: one name per slot, so a restarted operator finds the run it made. */
export function runName(schedule: string, slot: Date): string {
  const iso = slot.toISOString(); // 2026-06-01T02:00:00.000Z
  return `${schedule}-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}
