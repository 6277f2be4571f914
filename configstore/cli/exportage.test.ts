// Exports encrypted with age, as real processes against a real server and MinIO: a round trip
// to two recipients (each identity decrypts; the exporting side holds none), stored bytes that
// show none of the data, the manifest naming the recipients, a full read-back and dry-run
// import with an identity, and the refusals: no identity, a wrong one (nothing changes on the
// server), damaged ciphertext, and bad flags (exit 2, our wording, never an identity's bytes).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedBucket, localEnv } from '../../scripts/localenv/testenv.js';
import { readAll } from '../objectstorage/index.js';
import { parseExportManifest } from '../types/exportmanifest.js';
import { eventually } from '../../testsupport/eventually.js';
import { remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { finishedWithin, spawnCli, type CliExit } from '../../testsupport/cli.js';
import { s3Proxy } from '../../testsupport/s3proxy.js';

const runCli = (args: string[], env: Record<string, string>): Promise<CliExit> => finishedWithin(spawnCli(args, env), 60_000);

const resultOf = (exit: CliExit) => {
  expect(exit.stderr, exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return JSON.parse(exit.stdout.trim()) as { objects: number; bytes: number; sha256: string; encrypted?: boolean; dryRun?: boolean };
};

/** A canary: a name that must never appear in the stored bytes. */
const canary = 'zebra-canary-7f3a';

describe('configstore export --encrypt-to (age)', () => {
  let cluster: TestCluster;
  let instance: TestInstance;
  let bucket: Awaited<ReturnType<typeof isolatedBucket>>;
  let dir: string;
  let env: Record<string, string>;
  const ids: { identity: string; recipient: string; file: string }[] = [];
  let wrongFile: string;

  const url = (key: string, endpoint = localEnv().s3.endpoint) =>
    `s3://${bucket.bucket}/${key}?endpoint=${encodeURIComponent(endpoint)}&region=${localEnv().s3.region}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'configstore-exportage-'));
    cluster = await testCluster('cli-exportage');
    instance = await cluster.start();
    await instance.client.createUser({ name: canary });
    await instance.client.createOrg({ name: 'acme', visibility: 'public' });
    bucket = await isolatedBucket('cli-exportage');
    const s3 = localEnv().s3;
    env = { CONFIGSTORE_SERVER: instance.url, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
    for (const n of [1, 2]) {
      const identity = await generateIdentity();
      const file = join(dir, `identity-${n}.txt`);
      await writeFile(file, `# created: test\n# public key: ${await identityToRecipient(identity)}\n${identity}\n`, { mode: 0o600 });
      ids.push({ identity, recipient: await identityToRecipient(identity), file });
    }
    wrongFile = join(dir, 'wrong.txt');
    await writeFile(wrongFile, `${await generateIdentity()}\n`);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([cluster?.cleanup(), bucket?.cleanup()]);
    await rm(dir, { recursive: true, force: true });
  });

  const recipientFlags = () => ids.flatMap((i) => ['--encrypt-to', i.recipient]);

  it('exports to two recipients without any identity: the stored object is age, shows no data, and its manifest lists the recipients', async () => {
    const exported = resultOf(await runCli(['export', '--to', url('backups/plain.ndjson.age'), ...recipientFlags()], env));
    expect(exported.encrypted).toBe(true);
    const stored = await readAll(bucket.storage, 'backups/plain.ndjson.age');
    expect(stored.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    // not gzip, so only the encryption hides the data
    for (const word of [canary, 'acme', '"type":"user"', 'ConfigStoreExport']) expect(stored.includes(word), word).toBe(false);
    expect(exported.bytes).toBe(stored.length);

    const manifest = parseExportManifest((await readAll(bucket.storage, 'backups/plain.ndjson.age.manifest.json')).toString());
    expect(manifest).toMatchObject({
      encrypted: true,
      ageRecipients: ids.map((i) => i.recipient),
      gzip: false,
      bytes: stored.length,
      storedSha256: createHash('sha256').update(stored).digest('hex'),
      sha256: exported.sha256,
      objects: exported.objects,
    });
    const manifestText = (await readAll(bucket.storage, 'backups/plain.ndjson.age.manifest.json')).toString();
    for (const i of ids) expect(manifestText).not.toContain(i.identity);
  });

  it('each identity decrypts it: a dry-run import with either gives the export sha256', async () => {
    const exported = parseExportManifest((await readAll(bucket.storage, 'backups/plain.ndjson.age.manifest.json')).toString())!;
    for (const i of ids) {
      const imported = resultOf(
        await runCli(['import', '--from', url('backups/plain.ndjson.age'), '--identity-file', i.file, '--dry-run', '--sha256', exported.sha256], env),
      );
      expect(imported).toMatchObject({ objects: exported.objects, sha256: exported.sha256, dryRun: true, encrypted: true });
    }
  });

  it('gzip then age, to a recipients file; an identity on export reads it back in full and --verify-import has the server dry-run it', async () => {
    const recipientsFile = join(dir, 'recipients.txt');
    await writeFile(recipientsFile, `# backup keys\n${ids[0]!.recipient}\n\n${ids[1]!.recipient}\n`);
    const exported = resultOf(
      await runCli(
        ['export', '--to', url('backups/x.ndjson.gz.age'), '--recipients-file', recipientsFile, '--identity-file', ids[1]!.file, '--verify-import'],
        env,
      ),
    );
    expect(exported.encrypted).toBe(true);
    const manifest = parseExportManifest((await readAll(bucket.storage, 'backups/x.ndjson.gz.age.manifest.json')).toString());
    expect(manifest).toMatchObject({ gzip: true, encrypted: true, ageRecipients: ids.map((i) => i.recipient) });
    // a real restore with the first identity, in maintenance
    await instance.client.createUser({ name: 'made-after-the-export' });
    await instance.client.enableMaintenance({ owner: 'age-test' });
    try {
      await eventually(async () => (instance.server.maintenance.mode === 'maintenance' ? true : undefined), { timeoutMs: 10_000 });
      const imported = resultOf(await runCli(['import', '--from', url('backups/x.ndjson.gz.age'), '--identity-file', ids[0]!.file], env));
      expect(imported).toMatchObject({ sha256: exported.sha256, objects: exported.objects, dryRun: false });
    } finally {
      await instance.client.disableMaintenance({ owner: 'age-test' });
    }
    await eventually(async () => (instance.server.maintenance.mode === 'normal' ? true : undefined), { timeoutMs: 10_000 });
    expect((await remoteError(instance.client.getUser('made-after-the-export'))).status).toBe(404);
    expect((await instance.client.getUser(canary)).name).toBe(canary);
  }, 60_000);

  it('refuses an encrypted export without --identity-file, and with a wrong identity: exit 2, a clear message, nothing changed on the server', async () => {
    await instance.client.createUser({ name: 'kept-through-refusals' });
    const none = await runCli(['import', '--from', url('backups/plain.ndjson.age'), '--dry-run'], env);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe(
      `configstore: s3://${bucket.bucket}/backups/plain.ndjson.age is encrypted (age): pass --identity-file with the identity (AGE-SECRET-KEY-1…) of one of its recipients (its manifest lists them)\n`,
    );

    await instance.client.enableMaintenance({ owner: 'age-wrong' });
    try {
      await eventually(async () => (instance.server.maintenance.mode === 'maintenance' ? true : undefined), { timeoutMs: 10_000 });
      const wrong = await runCli(['import', '--from', url('backups/plain.ndjson.age'), '--identity-file', wrongFile], env);
      expect(wrong.code).toBe(2);
      expect(wrong.stdout).toBe('');
      expect(wrong.stderr).toBe(
        `configstore: s3://${bucket.bucket}/backups/plain.ndjson.age is encrypted to other recipients: the identity in --identity-file cannot decrypt it; give the identity (AGE-SECRET-KEY-1…) of one of the recipients its manifest lists\n`,
      );
      expect(wrong.stderr).not.toMatch(/no identity matched|AGE-SECRET-KEY-1[0-9A-Z]{10}/);
    } finally {
      await instance.client.disableMaintenance({ owner: 'age-wrong' });
    }
    await eventually(async () => (instance.server.maintenance.mode === 'normal' ? true : undefined), { timeoutMs: 10_000 });
    expect((await instance.client.getUser('kept-through-refusals')).name).toBe('kept-through-refusals');
  }, 60_000);

  it('refuses damaged ciphertext before the server sees a byte (exit 2)', async () => {
    const proxy = await s3Proxy(() => 'flip');
    try {
      const exit = await runCli(['import', '--from', url('backups/plain.ndjson.age', proxy.endpoint), '--identity-file', ids[0]!.file, '--dry-run'], env);
      expect(exit.code).toBe(2);
      expect(exit.stderr).toMatch(
        /^configstore: invalid export: s3:\/\/.+ is encrypted and its content fails authentication near byte \d+: it is damaged, truncated or was altered\n$/,
      );
    } finally {
      await proxy.close();
    }
  });

  it('an encrypted export whose stored bytes read back otherwise (no identity to decrypt them) exits 3 and keeps nothing', async () => {
    const proxy = await s3Proxy(() => 'flip');
    try {
      const exit = await runCli(['export', '--to', url('backups/flipped.ndjson.age', proxy.endpoint), ...recipientFlags()], env);
      expect(exit.code, exit.stderr).toBe(3);
      expect(exit.stderr).toMatch(
        /^configstore: verification failed: the encrypted export stored at s3:\/\/.+\/backups\/flipped\.ndjson\.age \(its temp copy\) differs from what was encrypted and sent: /,
      );
      expect((await bucket.storage.list('backups/flipped')).items).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('refuses bad encryption flags with exit 2, before anything is written', async () => {
    const identityAsRecipient = join(dir, 'oops.txt');
    await writeFile(identityAsRecipient, `${ids[0]!.identity}\n`);
    const cases: [string[], RegExp][] = [
      [
        ['--encrypt-to', 'age1notakey'],
        /^configstore: --encrypt-to="age1notakey": not an age recipient \(expected a public key such as age1…, as age-keygen prints it\)$/,
      ],
      [['--encrypt-to', ids[0]!.identity], /^configstore: --encrypt-to: that is an age identity \(a secret key\), not a recipient: give its public key/],
      [
        ['--recipients-file', identityAsRecipient],
        /^configstore: --recipients-file=".*oops.txt" line 1: that is an age identity \(a secret key\), not a recipient/,
      ],
      [['--encrypt-to', ids[0]!.recipient, '--verify-import'], /^configstore: --verify-import of an encrypted export needs --identity-file/],
      [
        ['--encrypt-to', ids[0]!.recipient, '--identity-file', wrongFile],
        /^configstore: --identity-file: none of its identities belongs to one of the export's recipients/,
      ],
      [['--identity-file', ids[0]!.file], /^configstore: --identity-file on export reads back an encrypted export: give its recipients too/],
      [
        ['--encrypt-to', ids[0]!.recipient, '--identity-file', identityAsRecipient + '.missing'],
        /^configstore: --identity-file=".*": cannot read it \(no such file\)$/,
      ],
    ];
    const exits = await Promise.all(cases.map(([args]) => runCli(['export', '--to', url('backups/refused.ndjson.age'), ...args], env)));
    exits.forEach((exit, i) => {
      expect(exit.code, `case ${i}: ${exit.stderr}`).toBe(2);
      expect(exit.stderr.trimEnd(), `case ${i}`).toMatch(cases[i]![1]);
      expect(exit.stderr).not.toContain(ids[0]!.identity);
    });
    expect((await bucket.storage.list('backups/refused')).items).toEqual([]);

    const badIdentity = join(dir, 'bad-identity.txt');
    await writeFile(badIdentity, `# comment\nAGE-SECRET-KEY-1NOTAKEY\n`);
    const exit = await runCli(['import', '--from', url('backups/plain.ndjson.age'), '--identity-file', badIdentity, '--dry-run'], env);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(
      /^configstore: --identity-file=".*bad-identity.txt": line 2 is not an age identity \(expected AGE-SECRET-KEY-1…, as age-keygen writes it\)\n$/,
    );
    expect(exit.stderr).not.toContain('NOTAKEY');
  }, 60_000);
});
