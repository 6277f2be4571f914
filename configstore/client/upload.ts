// A streamed POST over node:http(s), with backpressure. Node's fetch keeps every chunk of a
// streamed request body in memory until the request ends (undici issue #4058): importing a
// 1M-object export (207 MB) grew the client's arrayBuffers by 215 MB, forced GC or not.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorCodes, UnavailableError } from '../errors.js';

export interface UploadResponse {
  status: number;
  statusText: string;
  retryAfter: string | null;
  text: string;
}

/**
 * POSTs `body` and reads the whole (small, JSON) answer. An error of the body itself
 * rejects with that error; anything on the way rejects with an UnavailableError
 * `unreachable`. An answer that comes before the body is sent (a refusal) ends the upload.
 */
export function postStream(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<UploadResponse> {
  const target = new URL(base + path);
  const source = body instanceof ReadableStream ? Readable.fromWeb(body as WebReadableStream<Uint8Array>) : Readable.from(body);
  return new Promise<UploadResponse>((resolve, reject) => {
    let settled = false;
    let answered = false;
    const settle = (err: unknown, response?: UploadResponse) => {
      if (settled) return;
      settled = true;
      source.destroy();
      if (!req.writableFinished) req.destroy(); // refused early: stop sending
      if (err) reject(err);
      else resolve(response!);
    };
    const unreachable = (cause: unknown) => new UnavailableError(`configstore at ${base} is unreachable`, { code: errorCodes.unreachable, cause });
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(target, { method: 'POST', headers, ...(signal ? { signal } : {}) }, (res: IncomingMessage) => {
      answered = true; // the server may close while the body is still going: its answer counts
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => settle(unreachable(err)));
      res.on('close', () => settle(unreachable(new Error('the connection closed before the whole answer came'))));
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        settle(undefined, {
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', (err) => {
      if (!answered) settle(unreachable(err));
    });
    source.on('error', (err) => settle(err));
    source.pipe(req);
  });
}
