// `configstore serve` settings in-process: defaults, each value named by where it came from
// when refused. (serve.test.ts runs the same refusals through the CLI as a process.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServeSettings, type Raw } from './settings.js';
import { UsageError } from './usage.js';

const dir = mkdtempSync(join(tmpdir(), 'settings-'));
writeFileSync(join(dir, 'token'), 's3cret\n');
writeFileSync(join(dir, 'empty'), '\n');

type Input = Parameters<typeof parseServeSettings>[0];
const env = (name: string, value: string | undefined): Raw => ({ value, from: name });
function input(values: Partial<Record<keyof Input, string>> = {}): Input {
  const v = {
    listen: '127.0.0.1:4000',
    etcdEndpoints: 'http://127.0.0.1:2379',
    etcdPrefix: '/configstore/',
    shutdownTimeout: '30',
    objectStorage: `file://${dir}/objects`,
    ...values,
  };
  return {
    listen: env('CONFIGSTORE_LISTEN', v.listen),
    etcdEndpoints: env('CONFIGSTORE_ETCD_ENDPOINTS', v.etcdEndpoints),
    etcdCredentialsDir: env('CONFIGSTORE_ETCD_CREDENTIALS_DIR', v.etcdCredentialsDir),
    etcdPrefix: env('CONFIGSTORE_ETCD_PREFIX', v.etcdPrefix),
    objectStorage: env('CONFIGSTORE_OBJECT_STORAGE', v.objectStorage),
    adminTokenFile: env('CONFIGSTORE_ADMIN_TOKEN_FILE', v.adminTokenFile),
    dataDir: env('CONFIGSTORE_DATA_DIR', v.dataDir),
    instanceId: env('CONFIGSTORE_INSTANCE_ID', v.instanceId),
    logLevel: env('CONFIGSTORE_LOG_LEVEL', v.logLevel),
    shutdownTimeout: env('CONFIGSTORE_SHUTDOWN_TIMEOUT', v.shutdownTimeout),
    groupCommit: env('CONFIGSTORE_GROUP_COMMIT', v.groupCommit),
  };
}

describe('serve settings', () => {
  it('types what it is given, with defaults for the rest', () => {
    const s = parseServeSettings(input({ adminTokenFile: join(dir, 'token'), instanceId: 'cs-0', shutdownTimeout: '2.5' }));
    expect(s).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      etcdEndpoints: ['http://127.0.0.1:2379'],
      etcdPrefix: '/configstore/',
      objectStorageUrl: `file://${dir}/objects`,
      adminToken: 's3cret',
      instanceId: 'cs-0',
      logLevel: 'info',
      shutdownTimeoutMs: 2500,
      groupCommit: true,
    });
    expect(parseServeSettings(input({ groupCommit: 'off' })).groupCommit).toBe(false);
    // the embedded default: the objects in the data directory
    expect(parseServeSettings(input({ objectStorage: undefined, dataDir: join(dir, 'data') })).objectStorageUrl).toBe(`file://${dir}/data/objects`);
  });

  it.each([
    [{ etcdEndpoints: ' , ' }, /^no etcd endpoints: set CONFIGSTORE_ETCD_ENDPOINTS/],
    [{ etcdEndpoints: 'etcd:2379' }, /^CONFIGSTORE_ETCD_ENDPOINTS="etcd:2379": etcd endpoint "etcd:2379" is not an http\(s\):\/\/host:port URL$/],
    [{ listen: '127.0.0.1:70000' }, /^CONFIGSTORE_LISTEN="127.0.0.1:70000": port 70000 is out of range/],
    [{ objectStorage: 'ftp://host/x' }, /^CONFIGSTORE_OBJECT_STORAGE: invalid object storage URL "ftp:\/\/host\/x": unsupported scheme/],
    [{ objectStorage: undefined }, /^no object storage: set CONFIGSTORE_OBJECT_STORAGE/],
    [{ adminTokenFile: join(dir, 'missing') }, /cannot read the admin token file: no such file or directory$/],
    [{ adminTokenFile: join(dir, 'empty') }, /the admin token file is empty$/],
    [{ etcdPrefix: 'configstore' }, /^CONFIGSTORE_ETCD_PREFIX="configstore": the etcd prefix must start and end with "\/"/],
    [{ logLevel: 'loud' }, /^CONFIGSTORE_LOG_LEVEL="loud": not a log level/],
    [{ shutdownTimeout: '-1' }, /^CONFIGSTORE_SHUTDOWN_TIMEOUT="-1": expected a number of seconds between 0 and 3600$/],
    [{ instanceId: 'a b' }, /^CONFIGSTORE_INSTANCE_ID="a b": an instance id is/],
    [{ groupCommit: 'yes' }, /^CONFIGSTORE_GROUP_COMMIT="yes": expected on or off$/],
    [{ dataDir: join(dir, 'empty', 'data') }, /^CONFIGSTORE_DATA_DIR=".*": the data directory is not usable: a parent is not a directory$/],
  ] as [Partial<Record<keyof Input, string>>, RegExp][])('refuses %j', (values, message) => {
    const attempt = () => parseServeSettings(input(values));
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});
