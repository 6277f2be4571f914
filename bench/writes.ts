// Writes: POST /api/v1alpha/users (each a new name) vs raw etcd3 transactions of the same
// shape (one txn: a compare + a put) at the same concurrency, on the same etcd.
// Target: ≥ 70 % of the raw transaction rate.
import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { benchEnv, connections, load, logLevel, median, rounds, seconds, startConfigstore, table, verdict, warmup } from './lib.js';

/** `connections` loops of compare+put transactions for `seconds`; per-txn latencies in ms. */
async function rawTxns(endpoint: string, durationS: number): Promise<{ rps: number; p50: number; p99: number }> {
  const etcd = new Etcd3({ hosts: endpoint });
  const latencies: number[] = [];
  const end = Date.now() + durationS * 1000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < end) {
          const key = `/raw/${randomUUID()}`;
          const t = performance.now();
          await etcd.if(key, 'Create', '==', 0).then(etcd.put(key).value('{"name":"x"}')).commit();
          latencies.push(performance.now() - t);
        }
      }),
    );
  } finally {
    etcd.close();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: latencies.length / durationS, p50: at(0.5), p99: at(0.99) };
}

const env = await benchEnv('writes');
try {
  await rawTxns(env.etcd.endpoint, 2); // warm-up
  const cs = await startConfigstore(env);
  let n = 0;
  const request = {
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    setupRequest: (req: object) => ({ ...req, body: JSON.stringify({ name: `user-${process.pid}-${n++}` }) }),
  };
  const url = `${cs.url}/api/v1alpha/users`;
  await warmup({ url, requests: [request] });

  // in turns, several rounds: the verdict takes the median ratio (a shared, noisy machine)
  const rows: Array<[string, number, number, number, number]> = [];
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const base = await rawTxns(env.etcd.endpoint, seconds);
    const cfg = await load({ url, requests: [request] });
    ratios.push(cfg.rps / base.rps);
    rows.push([`round ${round}: etcd3 txn compare+put (baseline)`, Math.round(base.rps), base.p50, base.p99, 0]);
    rows.push([`round ${round}: configstore POST user`, Math.round(cfg.rps), cfg.p50, cfg.p99, cfg.errors + cfg.non2xx]);
  }
  await cs.stop();

  const ratio = median(ratios);
  process.stdout.write(
    [
      `writes: ${connections} concurrent, ${seconds} s per run, ${rounds} rounds, log level ${logLevel}, one local etcd (fsync on)`,
      table(rows, ['', 'req/s', 'p50 ms', 'p99 ms', 'errors']),
      `throughput ratio per round ${ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}; median ${(ratio * 100).toFixed(0)} % of raw etcd transactions (target ≥ 70 %): ${verdict(ratio >= 0.7)}`,
      '',
    ].join('\n'),
  );
} finally {
  await env.cleanup();
}
