import { describe, expect, it } from 'vitest';
import { backup, cluster, cond, operation, schedule } from '../../testsupport/pluginobjects.js';
import { backupView, formatBackups } from './backups.js';
import { clusterStatusView, formatClusterStatus } from './status.js';

const now = new Date('2026-06-01T12:00:00Z');
const ready = cluster('main', {
  observedGeneration: 1,
  replicas: 2,
  readyReplicas: 2,
  mode: 'normal',
  instances: [
    { id: 'main-configstore-a', pod: 'main-configstore-a', mode: 'normal', appliedRevision: '120' },
    { id: 'main-configstore-b', pod: 'main-configstore-b', mode: 'normal', appliedRevision: '119', fenceRevision: '100' },
  ],
  conditions: [cond('Ready', 'True', '2/2 instances ready')],
});
const related = {
  schedules: [schedule('nightly', 'main', { next: '2026-06-02T02:00:00Z' })],
  backups: [
    backup('nightly-old', { createdAt: '2026-05-31T02:00:00Z', schedule: 'nightly' }),
    backup('nightly-new', { createdAt: '2026-06-01T02:00:00Z', schedule: 'nightly' }),
  ],
  operations: [
    operation('export-1', 'Export', { phase: 'Running', step: 'RunJob', message: 'running Job export-1-abc' }),
    operation('done', 'Export', { phase: 'Succeeded' }),
    operation('elsewhere', 'Export', { phase: 'Running' }, 'other'),
  ],
};

describe('status view', () => {
  it('gathers the report, the schedules, the last good backup, the next run and what is still going', () => {
    const v = clusterStatusView(ready, related);
    expect(v).toMatchObject({
      name: 'main',
      seenByOperator: true,
      ready: { status: 'True', message: '2/2 instances ready' },
      replicas: 2,
      readyReplicas: 2,
      mode: 'normal',
      lastGoodBackup: { name: 'nightly-new', objects: 42, location: 's3://backups/main/nightly-new.ndjson.gz', available: 'True' },
      nextScheduledRun: { time: '2026-06-02T02:00:00Z', schedule: 'nightly' },
      schedules: [{ name: 'nightly', healthy: 'True', suspended: false }],
      operations: [{ name: 'export-1', phase: 'Running', step: 'RunJob' }],
    });
    expect(formatClusterStatus(v, now)).toBe(
      [
        'Cluster main (namespace demo): Ready, 2/2 instances ready, mode normal',
        '  INSTANCE             POD                  MODE     APPLIED   FENCE',
        '  main-configstore-a   main-configstore-a   normal   120       -',
        '  main-configstore-b   main-configstore-b   normal   119       100',
        'Backups:',
        '  SCHEDULE   CRON              LAST SUCCESS                     NEXT                            HEALTHY',
        '  nightly    0 2 * * * (UTC)   2026-06-01T02:00:00Z (10h ago)   2026-06-02T02:00:00Z (in 14h)   True',
        '  last good backup: nightly-new, 2026-06-01T02:00:00Z (10h ago), 42 objects, 10.0 KiB, s3://backups/main/nightly-new.ndjson.gz',
        '  next scheduled run: 2026-06-02T02:00:00Z (in 14h) (nightly)',
        'Operations in progress:',
        '  NAME       OPERATION   PHASE     STEP     MESSAGE',
        '  export-1   Export      Running   RunJob   running Job export-1-abc',
        '',
      ].join('\n'),
    );
  });

  it('says when the operator has not reported, and why it is not ready', () => {
    const fresh = cluster('main', { observedGeneration: -1 });
    const text = formatClusterStatus(clusterStatusView(fresh, { schedules: [], backups: [], operations: [] }), now);
    expect(text).toContain('Readiness unknown, 0/2 instances ready, mode unknown');
    expect(text).toContain('the operator has not reported on this cluster (yet)');
    expect(text).toContain('no ConfigStoreBackupSchedule for this cluster');
    expect(text).toContain('last good backup: none (no Available ConfigStoreBackup record)');
    const stalled = cluster('main', { observedGeneration: 1, conditions: [{ ...cond('Ready', 'False', 'etcd cannot be read'), reason: 'EtcdUnreachable' }] });
    expect(formatClusterStatus(clusterStatusView(stalled, { schedules: [], backups: [], operations: [] }), now)).toContain(
      '  EtcdUnreachable: etcd cannot be read',
    );
  });
});

describe('backups table', () => {
  it('name, created, objects, bytes, source, available; wide adds who lists it and where it is', () => {
    const rows = [backup('b1', { createdAt: '2026-06-01T02:00:00Z', schedule: 'nightly', source: { namespace: 'demo', name: 'main' }, available: false })].map(
      backupView,
    );
    expect(formatBackups(rows, false)).toBe(
      'NAME   CREATED                OBJECTS   BYTES      SOURCE      AVAILABLE\nb1     2026-06-01T02:00:00Z   42        10.0 KiB   demo/main   False\n',
    );
    expect(formatBackups(rows, true)).toContain('schedule/nightly   s3://backups/main/b1.ndjson.gz');
    expect(formatBackups([], false)).toBe('');
  });
});
