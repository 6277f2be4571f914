// The API fuzzed against its own OpenAPI document with schemathesis (installed by
// scripts/lib.sh ensure_python_tools) on a real instance: schema-valid requests are
// accepted, schema-violating ones refused, every answer is documented (status, content
// type, body), and nothing answers a 5xx; in maintenance mode resource routes answer only
// 503 maintenanceMode and nothing else answers a 5xx. About 45 s alone on 2 cores (the
// coverage phase takes half); the timeouts leave room for a loaded CI machine.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStoreClient } from '../client/index.js';
import { eventually } from '../../testsupport/eventually.js';
import { testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';

const schemathesis = join(homedir(), '.cache/configstore/venv/bin/schemathesis');
const here = import.meta.dirname;
const adminToken = 'fuzz-admin-token';
const checks = [
  'not_a_server_error',
  'status_code_conformance',
  'response_schema_conformance',
  'content_type_conformance',
  'positive_data_acceptance',
  'negative_data_rejection',
];

interface FuzzResult {
  exitCode: number;
  /** Failures per check, from the summary: {"ST202 Schema-valid request rejected": 3}. */
  failures: Record<string, number>;
  /** Test cases failed and run, from the JUnit report. */
  junit: { tests: number; failures: number; errors: number };
  output: string;
  seconds: number;
}

/** Runs schemathesis on the instance's own document; extra arguments select operations, checks, examples. */
async function fuzz(instance: TestInstance, dir: string, name: string, args: string[], env: Record<string, string> = {}): Promise<FuzzResult> {
  const junitPath = join(dir, `${name}.xml`);
  const started = Date.now();
  const { exitCode, output } = await new Promise<{ exitCode: number; output: string }>((resolve) => {
    execFile(
      schemathesis,
      [
        '--config-file',
        join(here, 'schemathesis.toml'),
        'run',
        `${instance.url}/api/v1alpha/openapi.json`,
        '--url',
        instance.url, // the server's root: the document's paths start with /api/v1alpha
        '-H',
        `Authorization: Bearer ${adminToken}`,
        '--generation-deterministic',
        '--no-color',
        '--report',
        'junit',
        '--report-junit-path',
        junitPath,
        ...args,
      ],
      // cwd: schemathesis keeps a cache (.schemathesis/) where it runs
      { cwd: dir, env: { ...process.env, SCHEMATHESIS_HOOKS: join(here, 'schemathesis_hooks.py'), ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 200_000 },
      (err, stdout, stderr) => resolve({ exitCode: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: `${stdout}${stderr}` }),
    );
  });
  const failures: Record<string, number> = {};
  const summary = output.slice(output.lastIndexOf('SUMMARY'));
  for (const m of summary.matchAll(/^\s*❌ (ST\d+ [^:\n]+(?::\s*`[^`]+`)?): (\d+)$/gmu)) failures[m[1]!] = Number(m[2]);
  const xml = await readFile(junitPath, 'utf8').catch(() => '');
  const attr = (n: string) => [...xml.matchAll(new RegExp(`<testsuite [^>]*\\b${n}="(\\d+)"`, 'g'))].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    exitCode,
    failures,
    junit: { tests: attr('tests'), failures: attr('failures'), errors: attr('errors') },
    output,
    seconds: (Date.now() - started) / 1000,
  };
}

/** What an assertion shows: the counts, and the first failures in full. */
const shown = (r: FuzzResult) => `${JSON.stringify({ failures: r.failures, junit: r.junit, seconds: r.seconds })}\n${r.output.slice(0, 12_000)}`;

describe('the API against its OpenAPI document (schemathesis)', () => {
  let cluster: TestCluster;
  let instance: TestInstance;
  let dir: string;

  beforeAll(async () => {
    await access(schemathesis, constants.X_OK).catch(() => {
      throw new Error(`${schemathesis} is missing: npm test installs it (or run: bash -c 'source scripts/lib.sh && ensure_python_tools')`);
    });
    cluster = await testCluster('schemathesis');
    instance = await cluster.start({ adminToken, checkpoint: false });
    dir = await mkdtemp(join(tmpdir(), 'configstore-schemathesis-'));
  });
  afterAll(async () => {
    await cluster?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A few objects of every kind, for the fuzzer to name (schemathesis_hooks.py map_case). */
  async function seed(): Promise<Record<string, string>> {
    const c = instance.client;
    await c.createRemoteSource({ name: 'gitea', type: 'gitea', apiUrl: 'https://gitea.example.com', authType: 'password' });
    await c.createUser({ name: 'alice' });
    await c.createUserToken('alice', { name: 'ci' });
    const la = await c.createLinkedAccount('alice', { remoteSourceRef: 'gitea', remoteUserId: '1', remoteUserName: 'alice' });
    await c.createOrg({ name: 'acme', visibility: 'public', creatorUserRef: 'alice' });
    await c.createProjectGroup({ name: 'team', parentRef: 'org/acme', visibility: 'public' });
    await c.createProject({
      name: 'app',
      parentRef: 'org/acme/team',
      visibility: 'public',
      remoteRepositoryConfigType: 'remotesource',
      remoteSourceRef: 'gitea',
      linkedAccountId: la.id,
      repositoryId: '1',
      repositoryPath: 'acme/app',
    });
    for (const [type, ref] of [
      ['projectgroup', 'org/acme/team'],
      ['project', 'org/acme/team/app'],
    ] as const) {
      await c.createSecret(type, ref, { name: 'db', type: 'internal', data: { password: 'p' } });
      await c.createVariable(type, ref, { name: 'DB', values: [{ secretName: 'db', secretVar: 'password' }] });
    }
    return {
      users: 'alice',
      token: 'ci',
      linkedaccount: la.id,
      orgs: 'acme',
      remotesources: 'gitea',
      projectgroups: 'org/acme/team',
      projects: 'org/acme/team/app',
      secret: 'db',
      variable: 'DB',
    };
  }

  it('accepts what the document allows, refuses what it does not, and answers only as documented', { timeout: 240_000 }, async () => {
    const seeded = await seed();
    // turning maintenance on would fence the instance for the rest of the run: the next test does that
    // every phase (coverage: each schema's boundaries; fuzzing: 8 cases per operation; stateful)
    const r = await fuzz(instance, dir, 'normal', ['-n', '8', '-c', checks.join(','), '--exclude-name', 'PUT /api/v1alpha/maintenance'], {
      CONFIGSTORE_FUZZ_SEED: JSON.stringify(seeded),
    });
    expect(r.junit.tests, shown(r)).toBeGreaterThan(40);
    expect({ exitCode: r.exitCode, failures: r.failures, junitFailures: r.junit.failures + r.junit.errors }, shown(r)).toEqual({
      exitCode: 0,
      failures: {},
      junitFailures: 0,
    });
  });

  it('in maintenance mode answers resource routes only with 503 maintenanceMode, and no other 5xx', { timeout: 240_000 }, async () => {
    const admin = new ConfigStoreClient(instance.url, { token: adminToken });
    await admin.enableMaintenance({ owner: 'fuzz' });
    await eventually(async () => (instance.server.maintenance.mode === 'maintenance' ? true : undefined), { timeoutMs: 15_000 });
    try {
      // DELETE would end maintenance; PUT by another owner is a 409, by none the default owner's
      const r = await fuzz(
        instance,
        dir,
        'maintenance',
        [
          '-n',
          '3',
          '--phases',
          'fuzzing',
          '-c',
          'maintenance_fence,status_code_conformance,response_schema_conformance,content_type_conformance',
          '--exclude-name',
          'DELETE /api/v1alpha/maintenance',
        ],
        { CONFIGSTORE_FUZZ_MAINTENANCE: '1' },
      );
      expect(r.junit.tests, shown(r)).toBeGreaterThan(40);
      expect({ exitCode: r.exitCode, failures: r.failures, junitFailures: r.junit.failures + r.junit.errors }, shown(r)).toEqual({
        exitCode: 0,
        failures: {},
        junitFailures: 0,
      });
      expect(instance.server.maintenance.mode).toBe('maintenance');
    } finally {
      await admin.disableMaintenance({ owner: 'fuzz' });
    }
  });
});
