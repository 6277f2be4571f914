// Memory quantities and the heap ceiling derived from them (no servers).
import { describe, expect, it } from 'vitest';
import { heapEnv, memoryBytes } from './memory.js';

describe('memory', () => {
  it('reads Kubernetes memory quantities', () => {
    expect(memoryBytes('1Gi')).toBe(2 ** 30);
    expect(memoryBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(memoryBytes('1073741824')).toBe(2 ** 30);
    expect(memoryBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    for (const bad of ['', 'lots', '-1Gi', '1gi', undefined, 12.5e300]) expect(memoryBytes(bad), String(bad)).toBeUndefined();
  });

  it('caps V8 old space at 3/4 of the limit, and sets nothing without a readable limit', () => {
    expect(heapEnv({ limits: { memory: '1Gi' } })).toEqual([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' }]);
    expect(heapEnv({ limits: { memory: '256Mi' } })).toEqual([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=192' }]);
    expect(heapEnv({ limits: { memory: '32Mi' } })).toEqual([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=64' }]);
    expect(heapEnv({ limits: { cpu: '1' } })).toEqual([]);
    expect(heapEnv(undefined)).toEqual([]);
  });
});
