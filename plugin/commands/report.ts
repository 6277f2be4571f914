// `report [cluster]`: a redacted support bundle (report/): a .tar.gz by default, or a directory.
import type { Command } from 'commander';
import { join } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import type { Ctx } from '../context.js';
import { usageError } from '../errors.js';
import type { Kube } from '../kube.js';
import { formatBytes, stamp } from '../output.js';
import { collect, type ReportReader } from '../report/collect.js';
import { contentsLines, readme, summaryJson } from '../report/summary.js';
import { writeBundle } from '../report/write.js';

interface ReportFlags {
  output?: string;
  tail: string;
  operatorNamespace?: string;
}

export function addReportCommand(program: Command, ctx: Ctx): void {
  program
    .command('report')
    .description('write a support bundle: the configstore resources, events, operator and pod logs, redacted; never a Secret')
    .argument('[cluster]', 'only this cluster (default: every cluster of the namespace)')
    .option('-o, --output <path>', 'a .tar.gz/.tgz file, or a new directory (default ./configstore-report-<namespace>[-<cluster>]-<time>.tar.gz)')
    .option('--tail <lines>', 'lines of each container log', '5000')
    .option('--operator-namespace <namespace>', 'where the operator runs (default: this namespace, else wherever its pods are found)')
    .action(async (cluster: string | undefined, flags: ReportFlags) => {
      const tailLines = Number(flags.tail);
      if (!Number.isInteger(tailLines) || tailLines < 1) throw usageError(`--tail ${flags.tail}: expected a positive number of lines`);
      const kube = ctx.kube();
      if (cluster) await kube.requireCluster(cluster);
      const now = ctx.io.now();
      const output = flags.output ?? join(ctx.io.cwd, `configstore-report-${kube.namespace}${cluster ? `-${cluster}` : ''}-${stamp(now)}.tar.gz`);
      if (ctx.io.stderrIsTTY) ctx.io.err('collecting resources, events and logs…');
      const bundle = await collect(reader(kube, flags.operatorNamespace, tailLines), { ...(cluster ? { cluster } : {}), tailLines });
      if (ctx.io.stderrIsTTY) ctx.io.err('\r\x1b[K');
      const meta = {
        namespace: kube.namespace,
        ...(cluster ? { cluster } : {}),
        context: kube.loaded.context,
        server: kube.loaded.server,
        createdAt: now.toISOString(),
        pluginVersion: packageJson.version,
        tailLines,
      };
      bundle.files.set('README.txt', readme(bundle, meta));
      bundle.files.set('summary.json', summaryJson(bundle, meta));
      const bytes = writeBundle(bundle.files, output, now);
      ctx.io.out(
        [
          `wrote ${output} (${bundle.files.size} files, ${formatBytes(bytes)}):`,
          ...contentsLines(bundle).map((l) => `  ${l}`),
          ...(bundle.notes.length ? ['not collected (also in its README.txt):', ...bundle.notes.map((n) => `  ${n}`)] : []),
          '',
        ].join('\n'),
      );
    });
}

/** The API behind the bundle, each call refused or not on its own. */
function reader(kube: Kube, operatorNamespace: string | undefined, tailLines: number): ReportReader {
  const ns = kube.namespace;
  const listed = async <T>(p: Promise<{ items: T[] }>) => (await p).items;
  return {
    namespace: ns,
    list: (kind) => kube.list(kind),
    workloads: (kind, labelSelector) => {
      const q = { namespace: ns, labelSelector };
      const calls = {
        deployments: ['deployments.apps', () => listed(kube.apps.listNamespacedDeployment(q))],
        services: ['services', () => listed(kube.core.listNamespacedService(q))],
        jobs: ['jobs.batch', () => listed(kube.batch.listNamespacedJob(q))],
        pods: ['pods', () => listed(kube.core.listNamespacedPod(q))],
      } as const;
      const [resource, fn] = calls[kind];
      return kube.call({ verb: 'list', resource }, fn as () => Promise<object[]>);
    },
    events: () => kube.call({ verb: 'list', resource: 'events' }, () => listed(kube.core.listNamespacedEvent({ namespace: ns }))),
    operatorPods: async (labelSelector) => {
      const inNs = (namespace: string) =>
        kube.call({ verb: 'list', resource: 'pods', namespace }, () => listed(kube.core.listNamespacedPod({ namespace, labelSelector })));
      if (operatorNamespace) return inNs(operatorNamespace);
      const here = await inNs(ns);
      if (here.length) return here;
      return kube.call({ verb: 'list', resource: 'pods', namespace: '' }, () => listed(kube.core.listPodForAllNamespaces({ labelSelector })));
    },
    log: (namespace, name, container, previous) =>
      kube.call({ verb: 'get', resource: 'pods/log', namespace, name }, () =>
        kube.core.readNamespacedPodLog({ namespace, name, container, previous, tailLines, limitBytes: 10 * 1024 * 1024 }).catch((err: Error) => {
          // 204 (no log yet) has no content type, which the generated client cannot parse
          if (/No Content-Type defined/.test(err.message)) return '';
          throw err;
        }),
      ),
  };
}
