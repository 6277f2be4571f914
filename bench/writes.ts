// Writes: POST /api/v1alpha/users (each a new name) vs raw etcd3 transactions of the same
// shape (one txn: a compare + a put) at the same concurrency, on the same etcd; configstore
// with group commit (the default) and without (CONFIGSTORE_GROUP_COMMIT=off), in turns; on a
// single etcd and on a 3-member cluster (BENCH_ETCD_MEMBERS, default 1,3), where every commit
// waits for a quorum's fsync as in production. Targets: ≥ 70 % of the raw transaction rate; with group commit, ≥ 100 %.
import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { benchEnv, connections, load, logLevel, median, rounds, seconds, startConfigstore, table, verdict, warmup } from './lib.js';

/** `connections` loops of compare+put transactions for `seconds`; per-txn latencies in ms. */
async function rawTxns(endpoints: string[], durationS: number): Promise<{ rps: number; p50: number; p99: number }> {
  const etcd = new Etcd3({ hosts: endpoints });
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

const memberCounts = (process.env.BENCH_ETCD_MEMBERS ?? '1,3').split(',').map(Number);
const verdicts: string[] = [];
for (const members of memberCounts) verdicts.push(await run(members));
process.stdout.write(`${verdicts.join('\n')}\n`);

/** The three sides on an etcd of `members` members; prints its table and returns its verdict lines. */
async function run(members: number): Promise<string> {
  const env = await benchEnv('writes', members);
  try {
    await rawTxns(env.etcd.endpoints, 2); // warm-up
    const servers = [
      { label: 'configstore POST user, group commit', cs: await startConfigstore(env) },
      {
        label: 'configstore POST user, one txn per write',
        cs: await startConfigstore(env, { CONFIGSTORE_GROUP_COMMIT: 'off', CONFIGSTORE_ETCD_PREFIX: '/bench-single/' }),
      },
    ];
    let n = 0;
    const request = {
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: object) => ({ ...req, body: JSON.stringify({ name: `user-${process.pid}-${n++}` }) }),
    };
    for (const s of servers) await warmup({ url: `${s.cs.url}/api/v1alpha/users`, requests: [request] });

    // in turns, several rounds: the verdict takes the median ratio (a shared, noisy machine)
    const rows: Array<[string, number, number, number, number]> = [];
    const ratios: number[][] = servers.map(() => []);
    for (let round = 1; round <= rounds; round++) {
      const base = await rawTxns(env.etcd.endpoints, seconds);
      rows.push([`round ${round}: etcd3 txn compare+put (baseline)`, Math.round(base.rps), base.p50, base.p99, 0]);
      for (const [i, s] of servers.entries()) {
        const cfg = await load({ url: `${s.cs.url}/api/v1alpha/users`, requests: [request] });
        ratios[i]!.push(cfg.rps / base.rps);
        rows.push([`round ${round}: ${s.label}`, Math.round(cfg.rps), cfg.p50, cfg.p99, cfg.errors + cfg.non2xx]);
      }
    }
    for (const s of servers) await s.cs.stop();

    const [grouped, single] = ratios.map(median) as [number, number];
    const per = (rs: number[]) => rs.map((r) => `${(r * 100).toFixed(0)} %`).join(', ');
    const etcdLabel = members === 1 ? 'one local etcd (fsync on)' : `a ${members}-member etcd cluster on loopback (fsync on)`;
    process.stdout.write(
      [
        `writes: ${connections} concurrent, ${seconds} s per run, ${rounds} rounds, log level ${logLevel}, ${etcdLabel}`,
        table(rows, ['', 'req/s', 'p50 ms', 'p99 ms', 'errors']),
        '',
      ].join('\n'),
    );
    return [
      `${members} member(s): group commit: ratio per round ${per(ratios[0]!)}; median ${(grouped * 100).toFixed(0)} % of raw etcd transactions (target ≥ 100 %): ${verdict(grouped >= 1)}`,
      `${members} member(s): one txn per write: ratio per round ${per(ratios[1]!)}; median ${(single * 100).toFixed(0)} % (target ≥ 70 %): ${verdict(single >= 0.7)}`,
      `${members} member(s): group commit / one txn per write: ${(grouped / single).toFixed(2)}x`,
    ].join('\n');
  } finally {
    await env.cleanup();
  }
}
