// The schemas' patterns are the server's own checks (nameProblem, isUuid, pathRefProblem):
// compared on many strings made from the characters that matter, so the OpenAPI document
// and the 400s never disagree.
import { describe, expect, it } from 'vitest';
import { isUuid, Name, NamedRef, nameMaxLength, nameProblem, pathRefPatterns, pathRefProblem, Uuid } from './names.js';

// a tiny deterministic generator (mulberry32): the same strings every run
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
const uuid = () => '0123e4a7-89ab-4cde-8f01-23456789abcd'.replace(/[0-9a-f]/g, () => pick([...'0123456789abcdefABCDEF']));
const word = () => {
  const len = pick([0, 1, 2, 5, 39, 40, 41]);
  return Array.from({ length: len }, () => pick([...'aZ09-', '-', '.', ' ', '/'])).join('');
};
const samples = Array.from({ length: 20_000 }, () => {
  const parts = Array.from({ length: pick([1, 2, 3, 4]) }, () => pick([word, word, word, uuid, () => pick(['org', 'user', '..', '.', ''])])());
  return parts.join(pick(['/', '/', '-', '']));
});
samples.push(
  'a'.repeat(nameMaxLength),
  'a'.repeat(nameMaxLength + 1),
  `org/${'b'.repeat(40)}/c`,
  `org/${'b'.repeat(41)}/c`,
  'org/a-/b',
  'org/a--b',
  uuid(),
  `org/${uuid()}`,
  `org/a/${uuid()}`,
);

/** What a string schema accepts: its length bounds and its pattern. */
const fits = (schema: unknown, s: string) => {
  const { pattern, minLength = 0, maxLength = Infinity } = schema as { pattern: string; minLength?: number; maxLength?: number };
  return s.length >= minLength && s.length <= maxLength && new RegExp(pattern, 'u').test(s);
};

describe('schema patterns and the server checks', () => {
  it('Name is nameProblem', () => {
    const disagree = samples.filter((s) => fits(Name, s) !== (nameProblem(s) === undefined));
    expect(disagree).toEqual([]);
  });
  it('NamedRef is "an id or a name" and Uuid is isUuid', () => {
    expect(samples.filter((s) => fits(NamedRef, s) !== (isUuid(s) || nameProblem(s) === undefined))).toEqual([]);
    expect(samples.filter((s) => fits(Uuid, s) !== isUuid(s))).toEqual([]);
  });
  it('ProjectGroupRef and ProjectRef are pathRefProblem', () => {
    for (const kind of ['projectgroup', 'project'] as const) {
      const disagree = samples.filter((s) => fits({ pattern: pathRefPatterns[kind], maxLength: 1024 }, s) !== (pathRefProblem(kind, s) === undefined));
      expect(disagree, kind).toEqual([]);
    }
    // the samples do reach both sides
    expect(samples.filter((s) => pathRefProblem('project', s) === undefined).length).toBeGreaterThan(20);
  });
});
