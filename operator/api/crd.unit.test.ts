// The CRDs serve a status that kstatus reads as InProgress until the operator's first write
// (docs/operator.md, "Flux / kstatus"); the API server's defaulting of it is checked in crd.test.ts.
import { describe, expect, it } from 'vitest';
import { shippedCrds } from '../../testsupport/shippedcrds.js';
import { unobservedStatus } from './index.js';

describe('CRD status default', () => {
  it.each(shippedCrds().map((c) => [c.spec.names.kind, c] as const))('%s: status defaults to observedGeneration -1', (_kind, crd) => {
    const status = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.status as { default?: unknown; properties: Record<string, unknown> };
    expect(status.default).toEqual(unobservedStatus);
    expect(unobservedStatus).toEqual({ observedGeneration: -1 });
    expect(status.properties.observedGeneration).toEqual({ type: 'integer' });
  });
});
