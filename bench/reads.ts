// Reads: GET /api/v1alpha/users/<name> on configstore vs a fastify hello world answering the
// same JSON, at the same concurrency (autocannon), then configstore's p99 at half its max.
// Both servers stay up and are loaded in turns, several rounds: the ratio is the median of
// the rounds, so a noisy moment on a shared machine moves one round, not the verdict.
// The servers' CPU time per request is measured too: on a machine shared with other work the
// throughput ratio swings with whatever else runs, the CPU cost per request much less, and
// its ratio is the throughput ratio each would reach on a core of its own.
// Targets: ≥ 85 % of the baseline's throughput; p99 < 2 ms at half load.
import {
  benchEnv,
  connections,
  loadWithCpu,
  logLevel,
  median,
  rounds,
  seconds,
  startConfigstore,
  startHello,
  table,
  verdict,
  warmup,
  type Load,
} from './lib.js';

const env = await benchEnv('reads');
try {
  const hello = await startHello();
  const cs = await startConfigstore(env);
  const created = await fetch(`${cs.url}/api/v1alpha/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"alice"}' });
  if (created.status !== 201) throw new Error(`could not create the user: ${created.status} ${await created.text()}`);
  const helloUrl = `${hello.url}/hello/alice`;
  const url = `${cs.url}/api/v1alpha/users/alice`;
  await warmup({ url: helloUrl });
  await warmup({ url });

  const rows: Array<[string, number, number, number, number, number]> = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  let best: Load | undefined;
  for (let round = 1; round <= rounds; round++) {
    const base = await loadWithCpu(hello.pid, { url: helloUrl });
    const max = await loadWithCpu(cs.pid, { url });
    ratios.push(max.rps / base.rps);
    cpuRatios.push(base.cpuUs / max.cpuUs);
    if (!best || max.rps > best.rps) best = max;
    rows.push([`round ${round}: fastify hello (baseline)`, Math.round(base.rps), base.p50, base.p99, Math.round(base.cpuUs), base.errors + base.non2xx]);
    rows.push([`round ${round}: configstore GET user`, Math.round(max.rps), max.p50, max.p99, Math.round(max.cpuUs), max.errors + max.non2xx]);
  }
  const halfRate = Math.max(1, Math.round(best!.rps / 2));
  const half = await loadWithCpu(cs.pid, { url, overallRate: halfRate });
  rows.push([`configstore at ${halfRate} req/s (half)`, Math.round(half.rps), half.p50, half.p99, Math.round(half.cpuUs), half.errors + half.non2xx]);
  await Promise.all([hello.stop(), cs.stop()]);

  const ratio = median(ratios);
  const cpuRatio = median(cpuRatios);
  process.stdout.write(
    [
      `reads: ${connections} connections, ${seconds} s per run, ${rounds} rounds, log level ${logLevel}, autocannon in this process, servers in child processes`,
      table(rows, ['', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']),
      `throughput ratio per round ${ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}; median ${(ratio * 100).toFixed(0)} % of baseline (target ≥ 85 %): ${verdict(ratio >= 0.85)}`,
      `CPU per request, baseline / configstore, per round ${cpuRatios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}; median ${(cpuRatio * 100).toFixed(0)} % (the throughput ratio on a core each)`,
      `p99 at half load ${half.p99} ms (target < 2 ms): ${verdict(half.p99 < 2)}`,
      '',
    ].join('\n'),
  );
} finally {
  await env.cleanup();
}
