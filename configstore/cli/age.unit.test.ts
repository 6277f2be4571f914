// The pure parts of age encryption: recipients and identity files read and checked (never
// echoing a secret), an age file recognised by its first bytes, a stream round trip through
// two recipients, and the library's failures in our words (wrong identity, damaged bytes).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DamagedCiphertextError, decrypted, encrypted, looksEncrypted, peek, readIdentities, readRecipients, sniffBytes, WrongIdentityError } from './age.js';
import { UsageError } from './usage.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of source) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function* chunked(buf: Buffer, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('age encryption of exports', () => {
  let dir: string;
  const keys: { identity: string; recipient: string }[] = [];
  const plaintext = Buffer.from('{"kind":"ConfigStoreExport"}\n'.repeat(10_000)); // several 64 KiB STREAM chunks

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'configstore-age-'));
    for (let i = 0; i < 3; i++) {
      const identity = await generateIdentity();
      keys.push({ identity, recipient: await identityToRecipient(identity) });
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads recipients from flags and a file (comments, blanks, duplicates), and refuses an identity or garbage without echoing it', async () => {
    const file = join(dir, 'recipients');
    await writeFile(file, `# team\n${keys[1]!.recipient}\n\n  ${keys[0]!.recipient}  \n`);
    expect(await readRecipients([keys[0]!.recipient], file)).toEqual([keys[0]!.recipient, keys[1]!.recipient]);
    expect(await readRecipients([], undefined)).toEqual([]);
    const refusal = await readRecipients([keys[0]!.identity], undefined).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as Error).message).not.toContain(keys[0]!.identity);
    await expect(readRecipients(['age1xyz'], undefined)).rejects.toThrow(/--encrypt-to="age1xyz": not an age recipient/);
    await writeFile(file, '# nothing\n');
    await expect(readRecipients([], file)).rejects.toThrow(/it lists no recipient/);
  });

  it('reads an identity file of several identities (key rotation); a bad line is named by number only', async () => {
    const file = join(dir, 'identities');
    await writeFile(file, `# old\n${keys[0]!.identity}\n# new\n${keys[1]!.identity}\n`);
    expect(await readIdentities(file)).toEqual([keys[0]!.identity, keys[1]!.identity]);
    await writeFile(file, `${keys[0]!.identity}\nAGE-SECRET-KEY-1SECRETBUTBROKEN\n`);
    const err = (await readIdentities(file).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/line 2 is not an age identity/);
    expect(err.message).not.toMatch(/SECRETBUTBROKEN|AGE-SECRET-KEY-1[0-9A-Z]{5}/);
    await writeFile(file, '# empty\n');
    await expect(readIdentities(file)).rejects.toThrow(/it holds no age identity/);
    await expect(readIdentities(join(dir, 'missing'))).rejects.toThrow(/cannot read it \(no such file\)/);
  });

  it('round-trips a stream to two recipients; either identity decrypts; the ciphertext is recognised and shows no plaintext', async () => {
    const ciphertext = await collect(encrypted([keys[0]!.recipient, keys[1]!.recipient], chunked(plaintext)));
    expect(looksEncrypted(ciphertext.subarray(0, sniffBytes))).toBe(true);
    expect(looksEncrypted(plaintext.subarray(0, sniffBytes))).toBe(false);
    expect(looksEncrypted(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe(false);
    expect(ciphertext.includes('ConfigStoreExport')).toBe(false);
    for (const k of keys.slice(0, 2)) expect((await collect(await decrypted([k.identity], chunked(ciphertext), 'x'))).equals(plaintext)).toBe(true);
    // an identity file holding the old key and a recipient's works too
    expect((await collect(await decrypted([keys[2]!.identity, keys[1]!.identity], chunked(ciphertext), 'x'))).equals(plaintext)).toBe(true);
  });

  it('says in its own words: a wrong identity (before any byte is handed on), damaged content, a truncated file, a damaged header', async () => {
    const ciphertext = await collect(encrypted([keys[0]!.recipient], chunked(plaintext)));
    const wrong = await decrypted([keys[2]!.identity], chunked(ciphertext), 's3://b/k').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(WrongIdentityError);
    expect((wrong as Error).message).toBe(
      's3://b/k is encrypted to other recipients: the identity in --identity-file cannot decrypt it; give the identity (AGE-SECRET-KEY-1…) of one of the recipients its manifest lists',
    );
    const flipped = Buffer.from(ciphertext);
    flipped[flipped.length - 100]! ^= 1;
    await expect(collect(await decrypted([keys[0]!.identity], chunked(flipped), 'x'))).rejects.toThrow(DamagedCiphertextError);
    const cut = ciphertext.subarray(0, ciphertext.length - 70_000);
    await expect(collect(await decrypted([keys[0]!.identity], chunked(cut), 'x'))).rejects.toThrow(
      /fails authentication near byte \d+: it is damaged, truncated or was altered/,
    );
    const mac = Buffer.from(ciphertext);
    mac[mac.indexOf('\n--- ') + 8]! ^= 1; // the header's MAC
    await expect(decrypted([keys[0]!.identity], chunked(mac), 'x')).rejects.toThrow(/^invalid export: x is encrypted but its age header was altered/);
    await expect(decrypted([keys[0]!.identity], chunked(ciphertext.subarray(0, 40)), 'x')).rejects.toThrow(
      /^invalid export: x is not a readable age file: its header is damaged or truncated$/,
    );
  });

  it('passes a source error through unchanged', async () => {
    const boom = new Error('the network went away');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield (await collect(encrypted([keys[0]!.recipient], chunked(plaintext)))).subarray(0, 70_000);
      throw boom;
    }
    // while the header is read or after: the same error either way
    await expect((async () => collect(await decrypted([keys[0]!.identity], failing(), 'x')))()).rejects.toBe(boom);
    await expect(collect(encrypted([keys[0]!.recipient], failing()))).rejects.toBe(boom);
  });

  it('peeks without losing a byte, also past the end of a short stream', async () => {
    const { head, stream } = await peek(chunked(Buffer.from('0123456789abcdefghijklmnop'), 3), 5);
    expect(head.toString()).toBe('01234');
    expect((await collect(stream)).toString()).toBe('0123456789abcdefghijklmnop');
    const short = await peek(chunked(Buffer.from('ab')), sniffBytes);
    expect(short.head.toString()).toBe('ab');
    expect((await collect(short.stream)).toString()).toBe('ab');
  });
});
