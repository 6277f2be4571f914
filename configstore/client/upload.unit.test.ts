// The streamed upload behind importStream: it holds only what is in flight of the body
// (Node's fetch kept a whole export in memory), passes the answer through, and tells a
// body's own error apart from an unreachable server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors.js';
import { postStream } from './upload.js';

const chunk = Buffer.alloc(64 * 1024, 'x');
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('postStream', () => {
  it('keeps only what is in flight of a big body (fetch kept all of it: 384 MB here)', async () => {
    const base = await listen(async (req, res) => {
      let n = 0;
      for await (const c of req) n += (c as Buffer).length;
      res.end(JSON.stringify({ n }));
    });
    const total = 384 * 2 ** 20;
    async function* body() {
      for (let n = 0; n < total; n += 64 * 1024) yield Buffer.alloc(64 * 1024, 'x'); // fresh chunks, as a file read gives
    }
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
    const res = await postStream(base, '/import', {}, body()).finally(() => clearInterval(sampler));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ n: total });
    expect(peak).toBeLessThan(160 * 2 ** 20); // garbage not yet collected included
  });

  it('passes an early refusal through and stops sending', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/json', 'retry-after': '5' }).end('{"message":"not in maintenance"}');
    });
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield chunk;
        await sleep(1);
      }
    }
    const res = await postStream(base, '/import', {}, endless());
    expect(res).toMatchObject({ status: 409, retryAfter: '5', text: '{"message":"not in maintenance"}' });
    await sleep(50); // a read already under way may still finish
    const after = pulled;
    await sleep(100);
    expect(pulled).toBe(after);
  });

  it("rejects with the body's own error, and with unreachable when nobody listens", async () => {
    const base = await listen(async (req, res) => {
      for await (const _ of req);
      res.end('{}');
    });
    async function* failing() {
      yield chunk;
      throw new Error('disk read failed');
    }
    await expect(postStream(base, '/import', {}, failing())).rejects.toThrow('disk read failed');
    const port = (server!.address() as AddressInfo).port;
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
    async function* slow() {
      for (;;) {
        yield chunk;
        await sleep(1000);
      }
    }
    const err = await postStream(`http://127.0.0.1:${port}`, '/import', {}, slow()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).code).toBe('unreachable');
  });
});
