// The CLI's result line and the operator's reading of it: one schema, so what one prints the
// other accepts, and anything else is refused with a reason.
import { describe, expect, it } from 'vitest';
import { DataOpResultError, formatResultLine, parseResultLine, type DataOpResult } from './dataopresult.js';

const result: DataOpResult = { operation: 'export', objects: 12, bytes: 3456, sha256: 'e'.repeat(64), revision: '99', location: 's3://b/k' };

describe('result line', () => {
  it('what the CLI prints, the operator reads back, even after log lines', () => {
    expect(parseResultLine(`starting\n{"progress": 1} not json\n${formatResultLine(result)}\n`, 'export')).toEqual(result);
    const dry = { ...result, operation: 'import' as const, dryRun: true, revision: '' };
    expect(parseResultLine(formatResultLine(dry), 'import')).toEqual(dry);
  });

  it.each([
    ['', /left no result line/],
    ['{"operation":', /not JSON/],
    [formatResultLine(result), /is for export, expected import/, 'import'],
    [JSON.stringify({ ...result, objects: -1 }), /lacks objects or bytes/],
    [JSON.stringify({ ...result, bytes: undefined }), /lacks objects or bytes/],
    [JSON.stringify({ ...result, sha256: 'E'.repeat(64) }), /lacks a sha256/],
    [JSON.stringify({ ...result, dryRun: 'yes' }), /the Job result's dryRun is not valid/],
  ] as [string, RegExp, DataOpResult['operation']?][])('refuses %j', (line, error, operation = 'export') => {
    expect(() => parseResultLine(line, operation)).toThrow(DataOpResultError);
    expect(() => parseResultLine(line, operation)).toThrow(error);
  });
});
