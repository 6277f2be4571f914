import { describe, expect, it } from 'vitest';
import { formatBytes, formatSpan, formatWhen, parseDuration, parseFormat, serialize, stamp, table } from './output.js';

describe('output helpers', () => {
  it('aligns columns as kubectl does', () => {
    expect(
      table(
        ['NAME', 'AGE'],
        [
          ['a', '1s'],
          ['longer', '2m'],
        ],
      ),
    ).toBe('NAME     AGE\na        1s\nlonger   2m\n');
  });

  it('sizes, spans and times', () => {
    expect([0, 1023, 10240, 5 * 1024 ** 2, 3 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '10.0 KiB', '5.0 MiB', '3.00 GiB']);
    expect(formatBytes(undefined)).toBe('-');
    expect([5_000, 600_000, 5 * 3600_000, 3 * 86400_000].map(formatSpan)).toEqual(['5s', '10m', '5h', '3d']);
    const now = new Date('2026-06-01T12:00:00Z');
    expect(formatWhen('2026-06-01T07:00:00Z', now)).toBe('2026-06-01T07:00:00Z (5h ago)');
    expect(formatWhen('2026-06-02T07:00:00Z', now)).toBe('2026-06-02T07:00:00Z (in 19h)');
    expect(formatWhen(undefined, now)).toBe('-');
    expect(stamp(new Date('2026-06-01T02:03:04.567Z'))).toBe('20260601020304');
  });

  it('durations: 30s, 10m, 1h30m, plain seconds; anything else is bad usage', () => {
    expect(['30s', '10m', '1h30m', '90'].map((d) => parseDuration(d, '--timeout'))).toEqual([30_000, 600_000, 5_400_000, 90_000]);
    expect(() => parseDuration('soon', '--timeout')).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining('--timeout soon') }));
  });

  it('-o: the formats a command takes, table by default', () => {
    expect(parseFormat(undefined, ['json'])).toBe('table');
    expect(parseFormat('json', ['json', 'yaml'])).toBe('json');
    expect(() => parseFormat('wide', ['json', 'yaml'])).toThrow(expect.objectContaining({ exitCode: 2, message: '-o wide: expected one of json, yaml' }));
    expect(serialize({ a: 1 }, 'json')).toBe('{\n  "a": 1\n}\n');
    expect(serialize({ a: [1] }, 'yaml')).toBe('a:\n  - 1\n');
  });
});
