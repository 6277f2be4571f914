// Test support: an HTTP proxy between the CLI and MinIO. Requests pass as they are (so
// their signatures hold); what an object read (GET of a path under /backups/) answers can
// be damaged: one byte flipped (storage that damages data), the connection reset mid-body
// (a network that drops it), or the whole body replaced (an object rewritten meanwhile).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localEnv } from '../scripts/localenv/testenv.js';

export type ReadDamage = 'pass' | 'flip' | 'reset' | { replaceWith: Buffer };

/** `damage(nth)`: what the nth read (from 1) of each object under /backups/ gets. */
export async function s3Proxy(damage: (nth: number) => ReadDamage): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const upstream = new URL(localEnv().s3.endpoint);
  const reads = new Map<string, number>();
  const proxy: Server = createServer((req, res) => {
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const path = req.url!.split('?')[0]!;
      const isRead = req.method === 'GET' && answer.statusCode === 200 && path.includes('/backups/');
      const nth = isRead ? (reads.get(path) ?? 0) + 1 : 0;
      if (isRead) reads.set(path, nth);
      const what = isRead ? damage(nth) : 'pass';
      if (typeof what === 'object') {
        res.writeHead(answer.statusCode!, { ...answer.headers, 'content-length': String(what.replaceWith.length) });
        answer.resume();
        return void res.end(what.replaceWith);
      }
      res.writeHead(answer.statusCode!, answer.headers);
      let seen = 0;
      answer.on('data', (chunk: Buffer) => {
        if (what === 'reset' && seen + chunk.length > 1000) return void res.socket?.resetAndDestroy();
        if (what === 'flip' && seen === 0) {
          chunk = Buffer.from(chunk);
          chunk[chunk.length >> 1]! ^= 0x20; // a letter's case: still a JSON line, other bytes
        }
        seen += chunk.length;
        res.write(chunk);
      });
      answer.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, close: () => new Promise((r) => proxy.close(() => r())) };
}
