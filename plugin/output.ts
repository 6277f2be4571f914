// Output formats and the small formatting helpers every command shares: -o table|wide|json|yaml,
// aligned columns, sizes, ages, durations. Pure, so views/ can be unit-tested.
import { dumpYaml } from '@kubernetes/client-node';
import { usageError } from './errors.js';

export type Format = 'table' | 'wide' | 'json' | 'yaml';

export function parseFormat<const F extends Format>(raw: string | undefined, allowed: readonly F[]): F | 'table' {
  if (raw === undefined) return 'table';
  if (!(allowed as readonly string[]).includes(raw)) throw usageError(`-o ${raw}: expected one of ${allowed.join(', ')}`);
  return raw as F;
}

/** JSON or YAML of a value (objects as the API server has them, or a view). */
export function serialize(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) + '\n' : dumpYaml(value);
}

/** Columns padded to their widest cell, kubectl's way (three spaces between). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A span as kubectl prints ages: 45s, 12m, 5h, 3d. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 120 * 60) return `${Math.round(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** "2026-06-01T02:00:00Z (5h ago)" or "(in 19h)"; "-" when absent. */
export function formatWhen(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = t - now.getTime();
  return `${iso} (${d >= 0 ? `in ${formatSpan(d)}` : `${formatSpan(-d)} ago`})`;
}

/** 30s, 10m, 1h, 1h30m, or plain seconds: milliseconds. */
export function parseDuration(raw: string, flag: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(raw);
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  if (!m || raw === '') throw usageError(`${flag} ${raw}: expected a duration such as 30s, 10m or 1h30m`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** yyyymmddhhmmss in UTC: a name suffix that sorts by time. */
export function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:T]/g, '');
}
