// `configstore operator` settings: typed once, every bad value refused with the flag or
// variable it came from (the command's defaults are commander's, as a user gets them).
import { describe, expect, it } from 'vitest';
import { finishedWithin, spawnCli } from '../../testsupport/cli.js';
import { parseOperatorSettings } from './operator.js';
import { UsageError } from './usage.js';

const defaults = { listen: '0.0.0.0:8080', leaderElection: 'true', leaseName: 'configstore-operator', leaseDuration: '15', logLevel: 'info' };

describe('operator settings', () => {
  it('types the defaults and the values given', () => {
    expect(parseOperatorSettings(defaults)).toEqual({
      listen: { host: '0.0.0.0', port: 8080 },
      watchNamespace: undefined,
      leaderElection: true,
      leaseName: 'configstore-operator',
      leaseDurationSeconds: 15,
      leaseNamespace: undefined,
      logLevel: 'info',
      maxConcurrentScheduledExports: 4,
    });
    expect(parseOperatorSettings({ ...defaults, watchNamespace: 'team-a', leaderElection: 'false', leaseDuration: '30', leaseNamespace: 'ops' })).toMatchObject(
      {
        watchNamespace: 'team-a',
        leaderElection: false,
        leaseDurationSeconds: 30,
        leaseNamespace: 'ops',
      },
    );
    // an empty variable (a chart value left blank) means unset
    expect(parseOperatorSettings({ ...defaults, watchNamespace: '' }).watchNamespace).toBeUndefined();
  });

  it.each([
    [{ listen: 'localhost' }, '--listen/CONFIGSTORE_OPERATOR_LISTEN="localhost": expected host:port'],
    [{ logLevel: 'loud' }, '--log-level/CONFIGSTORE_LOG_LEVEL="loud": expected one of'],
    [{ leaderElection: 'yes' }, '--leader-election/CONFIGSTORE_OPERATOR_LEADER_ELECTION="yes": expected true or false'],
    [{ leaseDuration: '2' }, '--lease-duration/CONFIGSTORE_OPERATOR_LEASE_DURATION="2": expected whole seconds from 3 to 300'],
    [{ leaseDuration: '1.5' }, 'expected whole seconds from 3 to 300'],
    [
      { maxConcurrentScheduledExports: '0' },
      '--max-concurrent-scheduled-exports/CONFIGSTORE_OPERATOR_MAX_CONCURRENT_SCHEDULED_EXPORTS="0": expected a whole number from 1 to 100',
    ],
  ])('refuses %j', (bad, message) => {
    expect(() => parseOperatorSettings({ ...defaults, ...bad })).toThrow(UsageError);
    expect(() => parseOperatorSettings({ ...defaults, ...bad })).toThrow(message);
  });

  it("a kubeconfig that cannot be read: exit 2 and one line naming it, not the file system's wording", async () => {
    const missing = await finishedWithin(spawnCli(['operator'], { KUBECONFIG: '/nonexistent/kubeconfig' }), 20_000);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'configstore: KUBECONFIG="/nonexistent/kubeconfig": cannot read the kubeconfig (no such file): give a readable kubeconfig file, or run in a cluster\n',
    );
    const directory = await finishedWithin(spawnCli(['operator', '--kubeconfig', '/tmp']), 20_000);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toMatch(/^configstore: --kubeconfig="\/tmp": cannot read the kubeconfig \(EISDIR\)/);
  });
});
