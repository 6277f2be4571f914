import { describe, expect, it } from 'vitest';
import { operation } from '../testsupport/pluginobjects.js';
import { endLine, outcomeOf, progressLine } from './follow.js';

describe('following an operation', () => {
  it('ends at Succeeded, Failed or Rejected; a Maintenance also once it holds the cluster', () => {
    expect(outcomeOf(operation('e', 'Export'))).toBe('going');
    expect(outcomeOf(operation('e', 'Export', { phase: 'Running', step: 'RunJob' }))).toBe('going');
    expect(outcomeOf(operation('e', 'Export', { phase: 'Succeeded' }))).toBe('succeeded');
    expect(outcomeOf(operation('e', 'Export', { phase: 'Rejected' }))).toBe('failed');
    expect(outcomeOf(operation('m', 'Maintenance', { phase: 'Running', step: 'Hold' }))).toBe('going');
    expect(outcomeOf(operation('m', 'Maintenance', { phase: 'Running', step: 'Hold' }), true)).toBe('held');
  });

  it('one line of progress, and one for the end: the result, or every reason it failed', () => {
    expect(progressLine(operation('e', 'Export'))).toBe('Export e: Pending');
    expect(progressLine(operation('e', 'Export', { phase: 'Pending', step: 'Queue', queuePosition: 2, message: 'waits for import-1' }))).toBe(
      'Export e: Pending, Queue, queue position 2: waits for import-1',
    );
    const result = { location: 's3://b/k.ndjson.gz', objects: 42, bytes: 2048, sha256: 'abc', revision: '9' };
    expect(endLine(operation('e', 'Export', { phase: 'Succeeded', result }))).toBe(
      'Export e: Succeeded: 42 objects, 2.0 KiB, sha256 abc, revision 9, s3://b/k.ndjson.gz',
    );
    expect(
      endLine(
        operation('e', 'Export', {
          phase: 'Failed',
          message: 'the Job failed',
          lastErrors: [{ step: 'RunJob', message: 'exit code 2: folder owned by another cluster', observedAt: '2026-06-01T00:00:00Z' }],
        }),
      ),
    ).toBe('Export e: Failed: the Job failed; last error in RunJob: exit code 2: folder owned by another cluster');
    expect(endLine(operation('i', 'Import', { phase: 'Rejected', reasons: ['no cluster main'] }))).toBe('Import i: Rejected: no cluster main');
  });
});
