// Reads: GET /api/v1alpha/users/<name> on configstore vs a fastify hello world answering the
// same JSON, at the same concurrency (autocannon), then configstore's p99 at half its max.
// Targets: ≥ 70 % of the baseline's throughput; p99 < 5 ms at half load.
import { benchEnv, connections, load, logLevel, seconds, startConfigstore, startHello, table, verdict, warmup } from './lib.js';

const env = await benchEnv('reads');
try {
  const hello = await startHello();
  await warmup({ url: `${hello.url}/hello/alice` });
  const base = await load({ url: `${hello.url}/hello/alice` });
  await hello.stop();

  const cs = await startConfigstore(env);
  const created = await fetch(`${cs.url}/api/v1alpha/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"alice"}' });
  if (created.status !== 201) throw new Error(`could not create the user: ${created.status} ${await created.text()}`);
  const url = `${cs.url}/api/v1alpha/users/alice`;
  await warmup({ url });
  const max = await load({ url });
  const halfRate = Math.max(1, Math.round(max.rps / 2));
  const half = await load({ url, overallRate: halfRate });
  await cs.stop();

  const ratio = max.rps / base.rps;
  process.stdout.write(
    [
      `reads: ${connections} connections, ${seconds} s per run, log level ${logLevel}, autocannon in this process, servers in child processes`,
      table(
        [
          ['fastify hello (baseline)', Math.round(base.rps), base.p50, base.p99, base.errors + base.non2xx],
          ['configstore GET user', Math.round(max.rps), max.p50, max.p99, max.errors + max.non2xx],
          [`configstore at ${halfRate} req/s`, Math.round(half.rps), half.p50, half.p99, half.errors + half.non2xx],
        ],
        ['', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
      ),
      `throughput ratio ${(ratio * 100).toFixed(0)} % of baseline (target ≥ 70 %): ${verdict(ratio >= 0.7)}`,
      `p99 at half load ${half.p99} ms (target < 5 ms): ${verdict(half.p99 < 5)}`,
      '',
    ].join('\n'),
  );
} finally {
  await env.cleanup();
}
