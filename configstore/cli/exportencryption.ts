// What `configstore export` does differently when it encrypts (--encrypt-to, --recipients-file):
// the flags checked before anything is read or written, and the plaintext validated in-process
// as it streams into the encryption. The cluster that makes a backup need not be able to read
// it: without --identity-file the stored object is checked by its ciphertext's sha256 (it must be
// the bytes streamed), and the plaintext was checked before it was encrypted.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { validateExport, type ExportSummary } from '../datamanager/exportformat.js';
import { readIdentities, readRecipients, recipientsOf } from './age.js';
import { decoded } from './dataops-common.js';
import { UsageError } from './usage.js';

export interface EncryptionFlags {
  encryptTo?: string[];
  recipientsFile?: string;
  identityFile?: string;
  verifyImport?: boolean;
}

/** What to encrypt to and what reads it back; undefined: no encryption. Every mistake is a UsageError before the export starts. */
export async function exportEncryption(opts: EncryptionFlags): Promise<{ recipients: string[]; identities?: string[] } | undefined> {
  const recipients = await readRecipients(opts.encryptTo ?? [], opts.recipientsFile);
  const identities = opts.identityFile === undefined ? undefined : await readIdentities(opts.identityFile);
  if (recipients.length === 0) {
    if (identities)
      throw new UsageError('--identity-file on export reads back an encrypted export: give its recipients too (--encrypt-to or --recipients-file)');
    return undefined;
  }
  if (identities) {
    const own = await recipientsOf(identities).catch(() => []);
    if (!own.some((r) => recipients.includes(r))) {
      throw new UsageError(
        "--identity-file: none of its identities belongs to one of the export's recipients, so it could not read the export back: give the identity of a recipient, or leave --identity-file out",
      );
    }
  }
  if (opts.verifyImport && !identities) {
    throw new UsageError(
      "--verify-import of an encrypted export needs --identity-file (the server's dry run reads the plaintext); without it the export is verified by the plaintext checked before encryption and the stored ciphertext's sha256",
    );
  }
  return { recipients, ...(identities ? { identities } : {}) };
}

/**
 * Hands `source` on unchanged while a copy is validated as an export (gunzipped first with
 * `gzip`); `summary` settles once the copy is read. Backpressure: the source waits for the
 * validator, so memory holds a chunk or two. A validator that fails stops the stream.
 */
export function validatedTee(source: AsyncIterable<Uint8Array>, gzip: boolean): { chunks: AsyncIterable<Uint8Array>; summary: Promise<ExportSummary> } {
  const copy = new PassThrough();
  const summary = validateExport(decoded(copy, gzip));
  summary.catch(() => undefined); // awaited by the caller; a stream stopped by the failure must not make it unhandled
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let ended = false;
    try {
      for await (const chunk of source) {
        if (!copy.write(chunk)) await Promise.race([once(copy, 'drain'), summary]);
        yield chunk;
      }
      copy.end();
      ended = true;
    } catch (err) {
      copy.destroy(err as Error);
      throw err;
    } finally {
      // the consumer stopped early (the upload failed): the validator must not wait for more
      if (!ended && !copy.destroyed) copy.destroy(new Error('the export stream stopped before its end'));
    }
  }
  return { chunks: chunks(), summary };
}
