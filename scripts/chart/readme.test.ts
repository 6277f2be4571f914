// The chart's README.md is what helm-docs makes of README.md.gotmpl and values.yaml today:
// a value or comment changed without `npm run gen:chart-readme` fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartDir, renderReadme } from './tools.js';

describe('charts/configstore-operator/README.md', () => {
  it('is what helm-docs generates (npm run gen:chart-readme)', () => {
    const generated = renderReadme();
    expect(generated).toContain('## Values');
    expect(generated).toContain('helm-docs v1.14.2');
    expect(readFileSync(join(chartDir, 'README.md'), 'utf8'), 'README.md is stale: run npm run gen:chart-readme').toBe(generated);
  });
});
