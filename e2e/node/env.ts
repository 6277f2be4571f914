// A container's environment as the kubelet builds it: envFrom first, then env (later wins),
// values from Secrets, ConfigMaps and the downward API, and $(VAR) references expanded.
// A missing Secret/ConfigMap or key that is not optional is a CreateContainerConfigError.
import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';

/** The container cannot be configured yet (the kubelet retries; the pod stays Pending). */
export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
  /** The container's waiting reason while it lasts. */
  constructor(
    message: string,
    readonly reason: 'CreateContainerConfigError' | 'ContainerCreating' = 'CreateContainerConfigError',
  ) {
    super(message);
  }
}

const notFound = (err: unknown) => (err as { code?: number }).code === 404;

/** Reads Secrets and ConfigMaps of one namespace, each once per build. */
class Sources {
  private readonly secrets = new Map<string, Promise<Record<string, string> | undefined>>();
  private readonly configMaps = new Map<string, Promise<Record<string, string> | undefined>>();
  constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
  ) {}

  secret(name: string): Promise<Record<string, string> | undefined> {
    let got = this.secrets.get(name);
    if (!got) {
      got = this.core.readNamespacedSecret({ name, namespace: this.namespace }).then(
        (s) => Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
        (err: unknown) => (notFound(err) ? undefined : Promise.reject(err)),
      );
      this.secrets.set(name, got);
    }
    return got;
  }

  configMap(name: string): Promise<Record<string, string> | undefined> {
    let got = this.configMaps.get(name);
    if (!got) {
      got = this.core.readNamespacedConfigMap({ name, namespace: this.namespace }).then(
        (c) => ({ ...(c.data ?? {}), ...Object.fromEntries(Object.entries(c.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) }),
        (err: unknown) => (notFound(err) ? undefined : Promise.reject(err)),
      );
      this.configMaps.set(name, got);
    }
    return got;
  }

  /** One key of a Secret or ConfigMap; undefined when optional and missing. */
  async key(kind: 'Secret' | 'ConfigMap', ref: { name?: string; key: string; optional?: boolean }, envName: string): Promise<string | undefined> {
    const data = await (kind === 'Secret' ? this.secret(ref.name ?? '') : this.configMap(ref.name ?? ''));
    if (!data) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`${kind.toLowerCase()} "${ref.name}" not found`);
    }
    if (!(ref.key in data)) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${this.namespace}/${ref.name} (env ${envName})`);
    }
    return data[ref.key];
  }
}

/** The downward API fields a fieldRef may name (those the kubelet supports for env). */
export function podField(pod: V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? meta.labels : meta.annotations)?.[m[2]!] ?? '';
  const fields: Record<string, string | undefined> = {
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace,
    'metadata.uid': meta.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': pod.status?.podIP,
    'status.podIPs': pod.status?.podIPs?.map((p) => p.ip).join(','),
    'status.hostIP': pod.status?.hostIP,
    'status.hostIPs': pod.status?.hostIPs?.map((p) => p.ip).join(','),
  };
  if (!(fieldPath in fields)) throw new ContainerConfigError(`unsupported fieldRef ${fieldPath}`);
  return fields[fieldPath] ?? '';
}

/** Expands $(NAME) with the variables defined so far; $$ escapes; unknown references stay as written. */
export function expand(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(vars, name) ? vars[name]! : all;
  });
}

/** The container's environment from its spec only (`pod.status.podIP` already set). */
export async function containerEnv(core: CoreV1Api, pod: V1Pod, container: V1Container): Promise<Record<string, string>> {
  const sources = new Sources(core, pod.metadata!.namespace!);
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const data = await (kind === 'Secret' ? sources.secret(ref.name ?? '') : sources.configMap(ref.name ?? ''));
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind.toLowerCase()} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const e of container.env ?? []) {
    let value: string | undefined;
    const from = e.valueFrom;
    if (!from) value = expand(e.value ?? '', env);
    else if (from.secretKeyRef) value = await sources.key('Secret', from.secretKeyRef, e.name);
    else if (from.configMapKeyRef) value = await sources.key('ConfigMap', from.configMapKeyRef, e.name);
    else if (from.fieldRef) value = podField(pod, from.fieldRef.fieldPath);
    else throw new ContainerConfigError(`env ${e.name}: only secretKeyRef, configMapKeyRef and fieldRef are emulated`);
    if (value !== undefined) env[e.name] = value;
  }
  return env;
}
