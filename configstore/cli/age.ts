// age encryption of an export at rest (age-encryption.org/v1, the `age-encryption` package):
// the recipients an export is encrypted to (public keys, `age1…`), the identities that
// decrypt it (secret keys, `AGE-SECRET-KEY-1…`, read from a file only), and both directions
// as streams. The package streams through WHATWG streams in 64 KiB STREAM chunks, so memory
// stays one chunk or so whatever the export's size. Its errors are translated here: a
// message never carries the library's wording, nor any byte of an identity.
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type * as AgeLibrary from 'age-encryption';
import { BadRequestError, errorCodes } from '../errors.js';
import { UsageError } from './usage.js';

// loaded when a command encrypts or decrypts: the post-quantum code is no cost of `serve`
let library: Promise<typeof AgeLibrary> | undefined;
const age = () => (library ??= import('age-encryption'));

/** How every age file begins (its version line, `age-encryption.org/v1`); an export begins with `{`, gzip with 1f 8b. */
const ageMagic = Buffer.from('age-encryption.org/');
/** Bytes enough to tell an age file from the rest. */
export const sniffBytes = ageMagic.length;

/** An identity given that decrypts none of the file's recipients (bad input: exit code 2). */
export class WrongIdentityError extends UsageError {
  override name = 'WrongIdentityError';
}

/** An encrypted export that cannot be decrypted as age: damaged, truncated or altered (it fails authentication). */
export class DamagedCiphertextError extends BadRequestError {
  constructor(message: string, cause?: unknown) {
    super(`invalid export: ${message}`, { code: errorCodes.invalidExport, cause });
    this.name = 'DamagedCiphertextError';
  }
}

/** The recipients of `--encrypt-to` (repeatable) and `--recipients-file`: checked, each once, in the order given. */
export async function readRecipients(flags: string[], file: string | undefined): Promise<string[]> {
  const given: { value: string; where: string }[] = flags.map((value) => ({ value: value.trim(), where: `--encrypt-to=${JSON.stringify(value)}` }));
  if (file !== undefined) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--recipients-file=${JSON.stringify(file)}: cannot read it (${err.code ?? err.message})`);
    });
    text.split('\n').forEach((line, i) => {
      const value = line.trim();
      if (value && !value.startsWith('#')) given.push({ value, where: `--recipients-file=${JSON.stringify(file)} line ${i + 1}` });
    });
    if (!given.some((g) => g.where.startsWith('--recipients-file'))) throw new UsageError(`--recipients-file=${JSON.stringify(file)}: it lists no recipient`);
  }
  const recipients: string[] = [];
  for (const { value, where } of given) {
    if (/^AGE-SECRET-KEY-/i.test(value)) {
      // never echo it: it is a secret
      throw new UsageError(
        `${where.replace(/=".*"$/, '')}: that is an age identity (a secret key), not a recipient: give its public key (age-keygen -y FILE prints it)`,
      );
    }
    if (!isRecipient(await age(), value)) throw new UsageError(`${where}: not an age recipient (expected a public key such as age1…, as age-keygen prints it)`);
    if (!recipients.includes(value)) recipients.push(value);
  }
  return recipients;
}

function isRecipient({ Encrypter }: typeof AgeLibrary, value: string): boolean {
  if (!value.startsWith('age1')) return false;
  try {
    new Encrypter().addRecipient(value);
    return true;
  } catch {
    return false;
  }
}

/** The identities of an age identity file (`age-keygen`'s output: `#` comments, one AGE-SECRET-KEY-1… a line; several for a key rotation). */
export async function readIdentities(file: string, flag = '--identity-file'): Promise<string[]> {
  const where = `${flag}=${JSON.stringify(file)}`;
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`${where}: cannot read it (${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)})`);
  });
  const identities: string[] = [];
  const library = await age();
  text.split('\n').forEach((line, i) => {
    const value = line.trim();
    if (!value || value.startsWith('#')) return;
    // the line is a secret: its number only, never its content
    if (!isIdentity(library, value))
      throw new UsageError(`${where}: line ${i + 1} is not an age identity (expected AGE-SECRET-KEY-1…, as age-keygen writes it)`);
    identities.push(value);
  });
  if (identities.length === 0) throw new UsageError(`${where}: it holds no age identity (AGE-SECRET-KEY-1…)`);
  return identities;
}

function isIdentity({ Decrypter }: typeof AgeLibrary, value: string): boolean {
  if (!/^AGE-SECRET-KEY-(PQ-)?1/.test(value)) return false;
  try {
    new Decrypter().addIdentity(value);
    return true;
  } catch {
    return false;
  }
}

/** The recipients (public keys) of identities, to check before an export that one of them can read it back. */
export async function recipientsOf(identities: string[]): Promise<string[]> {
  const { identityToRecipient } = await age();
  return Promise.all(identities.map((i) => identityToRecipient(i)));
}

/** The plaintext as an age file for `recipients`, chunk by chunk (the source's errors come through as they are). */
export async function* encrypted(recipients: string[], plaintext: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const { Encrypter } = await age();
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const out = await e.encrypt(ReadableStream.from(plaintext));
  yield* out;
}

/** Whether a file's first bytes are an age file's. */
export function looksEncrypted(head: Buffer): boolean {
  return head.subarray(0, ageMagic.length).equals(ageMagic);
}

/** The first `n` bytes of a stream (fewer if it is shorter), and the whole stream again. */
export async function peek(source: AsyncIterable<Uint8Array> | Readable, n: number): Promise<{ head: Buffer; stream: AsyncIterable<Uint8Array> }> {
  const it = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    seen.push(chunk);
    size += chunk.length;
  }
  async function* again(): AsyncGenerator<Uint8Array> {
    yield* seen;
    if (done) return;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return { head: Buffer.concat(seen).subarray(0, n), stream: again() };
}

/**
 * The plaintext of an age file. The header is read (and the identities tried) before it
 * resolves: an identity that is no recipient rejects here, before any byte is handed on.
 * `what` names the file in messages. Errors of the source itself come through unchanged.
 */
export async function decrypted(identities: string[], ciphertext: AsyncIterable<Uint8Array>, what: string): Promise<AsyncIterable<Uint8Array>> {
  let sourceError: unknown;
  let offset = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of ciphertext) {
        offset += chunk.length;
        yield chunk;
      }
    } catch (err) {
      sourceError = err;
      throw err;
    }
  }
  const { Decrypter } = await age();
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  let out: ReadableStream<Uint8Array>;
  try {
    out = await d.decrypt(ReadableStream.from(counted()));
  } catch (err) {
    if (sourceError !== undefined && err === sourceError) throw err;
    throw headerProblem(err, what, identities.length);
  }
  async function* plain(): AsyncGenerator<Uint8Array> {
    try {
      yield* out;
    } catch (err) {
      if (sourceError !== undefined && err === sourceError) throw err;
      throw new DamagedCiphertextError(
        `${what} is encrypted and its content fails authentication near byte ${offset}: it is damaged, truncated or was altered`,
        err,
      );
    }
  }
  return plain();
}

function headerProblem(err: unknown, what: string, identities: number): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (message.startsWith('no identity matched')) {
    return new WrongIdentityError(
      `${what} is encrypted to other recipients: ${identities === 1 ? 'the identity in --identity-file cannot' : `none of the ${identities} identities in --identity-file can`} decrypt it; give the identity (AGE-SECRET-KEY-1…) of one of the recipients its manifest lists`,
      { cause: err },
    );
  }
  if (message.includes('HMAC')) return new DamagedCiphertextError(`${what} is encrypted but its age header was altered (its MAC does not match)`, err);
  return new DamagedCiphertextError(`${what} is not a readable age file: its header is damaged or truncated`, err);
}
