// The informer's restarts, against a scripted apiserver (the failures a real one gives
// only by chance): 429 while a watch cache initializes, a clean close, 410 Gone → relist.
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { informer } from './watch.js';

const cm = (name: string, rv: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } });

let server: Server;
let kc: KubeConfig;
const requests: string[] = [];
let lists = 0;
let watches = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const watch = url.searchParams.get('watch') === 'true';
    requests.push(`${watch ? 'watch' : 'list'} rv=${url.searchParams.get('resourceVersion') ?? ''}`);
    res.setHeader('content-type', 'application/json');
    if (!watch) {
      // the second list no longer has "a": deleted while the watch was gone
      const items = ++lists === 1 ? [cm('a', '10'), cm('b', '11')] : [cm('b', '21')];
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: lists === 1 ? '11' : '30' }, items }));
      return;
    }
    watches++;
    if (watches === 1) {
      res.statusCode = 429; // storage is (re)initializing
      res.end(JSON.stringify({ kind: 'Status', code: 429 }));
    } else if (watches === 2) {
      res.write(JSON.stringify({ type: 'MODIFIED', object: cm('b', '12') }) + '\n');
      res.end(); // closes cleanly: resumed from rv 12
    } else if (watches === 3) {
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) + '\n');
    } else {
      res.write(JSON.stringify({ type: 'ADDED', object: cm('c', '31') }) + '\n'); // stays open until stop()
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

it('retries a 429 watch, resumes a closed one from its revision, relists on 410 and reports what vanished', async () => {
  const events: string[] = [];
  let list = 0;
  const inf = informer<V1ConfigMap>({
    kc,
    path: '/api/v1/namespaces/ns/configmaps',
    list: async () => {
      const res = await fetch(`${kc.getCurrentCluster()!.server}/api/v1/namespaces/ns/configmaps?list=${++list}`);
      return (await res.json()) as { items: V1ConfigMap[]; metadata: { resourceVersion: string } };
    },
    onEvent: (type, obj) => events.push(`${type} ${obj.metadata!.name}@${obj.metadata!.resourceVersion}`),
    log: () => {},
  });
  await inf.synced;
  for (let i = 0; i < 100 && !events.includes('ADDED c@31'); i++) await new Promise((r) => setTimeout(r, 50));
  inf.stop();
  expect(events).toEqual(['ADDED a@10', 'ADDED b@11', 'MODIFIED b@12', 'DELETED a@10', 'MODIFIED b@21', 'ADDED c@31']);
  expect(requests).toEqual(['list rv=', 'watch rv=11', 'watch rv=11', 'watch rv=12', 'list rv=', 'watch rv=30']);
});
