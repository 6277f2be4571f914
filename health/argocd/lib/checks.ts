// The health checks on disk, in Argo CD's resource_customizations layout:
// health/argocd/<group>/<Kind>/{health.lua, health_test.yaml, testdata/*.yaml}. A kind is a
// folder: everything here (the runner, argocd-cm.yaml, the testdata generator) finds it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { HealthStatus } from './lua.js';

/** health/argocd/, where the groups are. */
export const healthRoot = join(import.meta.dirname, '..');

export interface HealthTest {
  healthStatus: HealthStatus;
  inputPath: string;
}

export interface HealthCheck {
  group: string;
  kind: string;
  dir: string;
  script: string;
}

/** Every <group>/<Kind>/ holding a health.lua, sorted by group and kind. */
export function healthChecks(root = healthRoot): HealthCheck[] {
  const checks: HealthCheck[] = [];
  const dirs = (d: string) =>
    readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  for (const group of dirs(root).filter((g) => g.includes('.'))) {
    for (const kind of dirs(join(root, group))) {
      const dir = join(root, group, kind);
      if (existsSync(join(dir, 'health.lua'))) checks.push({ group, kind, dir, script: readFileSync(join(dir, 'health.lua'), 'utf8') });
    }
  }
  return checks;
}

/** The cases of health_test.yaml, as Argo CD reads them (a missing message is the empty one). */
export function healthTests(check: HealthCheck): HealthTest[] {
  const doc = parse(readFileSync(join(check.dir, 'health_test.yaml'), 'utf8')) as { tests?: { healthStatus?: Partial<HealthStatus>; inputPath?: string }[] };
  return (doc.tests ?? []).map((t, i) => {
    if (!t.inputPath || !t.healthStatus?.status) throw new Error(`${check.kind}/health_test.yaml: test ${i} lacks inputPath or healthStatus.status`);
    return { inputPath: t.inputPath, healthStatus: { status: t.healthStatus.status, message: t.healthStatus.message ?? '' } };
  });
}

/** A testdata object (one YAML document, comments allowed). */
export function readObject(check: HealthCheck, inputPath: string): unknown {
  return parse(readFileSync(join(check.dir, inputPath), 'utf8'));
}

/** Argo CD's health statuses a script may return (Missing and Unknown are Argo CD's own). */
export const scriptStatuses = ['Healthy', 'Progressing', 'Degraded', 'Suspended'];
