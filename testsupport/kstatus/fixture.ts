// Objects of every operator kind in every phase, for checking what kstatus (Flux's health
// checks) makes of them: each is what a REAL reconciler wrote, run on the in-memory API server
// (testsupport/fakeoperator.ts), as the API server would serve it (CRD defaults applied), with
// the kstatus result we intend. Per kind, besides its phases: the object just created (no status
// yet), the same without the CRD's status default (what kstatus alone would make of it), and
// one whose spec changed since the operator last saw it.
// The generators are one file per kind; index.ts lists them.
import { served } from '../crddefaults.js';

/** kstatus' statuses (sigs.k8s.io/cli-utils/pkg/kstatus/status) an object can get from its own fields. */
export type KstatusResult = 'InProgress' | 'Current' | 'Failed' | 'Terminating';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; [k: string]: unknown };
  spec?: unknown;
  status?: { observedGeneration?: number; [k: string]: unknown };
}

export interface KstatusFixture {
  kind: string;
  /** The phase, in the words of docs/operator.md. */
  phase: string;
  expected: KstatusResult;
  /** Why that result is the right one for a user (Flux waiting on it). */
  why: string;
  object: KubeObject;
}

/** A phase's object as it was stored, served with its CRD's defaults. */
export function fixture(phase: string, expected: KstatusResult, why: string, object: unknown): KstatusFixture {
  const o = served(object as KubeObject);
  return { kind: o.kind, phase, expected, why, object: o };
}

/** The three every kind has, made from one of its reconciled objects. */
export function genericFixtures(reconciled: KubeObject): KstatusFixture[] {
  const { status: _status, ...created } = structuredClone(reconciled);
  created.metadata = { ...created.metadata, name: 'fresh', generation: 1 };
  delete created.metadata.resourceVersion;
  const behind = structuredClone(reconciled);
  behind.metadata = { ...behind.metadata, name: 'spec-changed', generation: (reconciled.status?.observedGeneration ?? 1) + 1 };
  return [
    fixture('created, not seen by the operator yet', 'InProgress', 'the CRD serves status.observedGeneration -1 until the first status write', created),
    {
      kind: created.kind,
      phase: 'created, without the CRD status default',
      expected: 'Current',
      why: 'kstatus takes an object without status for Current: the reason the CRDs default it',
      object: created,
    },
    fixture('spec changed since the operator last wrote status', 'InProgress', 'observedGeneration behind metadata.generation', behind),
  ];
}
