// The layering rule (README: Rules the code keeps), checked through ESLint itself with this repo's config.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './localenv/tools.js';

const eslint = new ESLint({ cwd: repoRoot });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering lint rule', () => {
  it.each([
    ['configstore/client/probe.ts', "import { PosixObjectStorage } from '../objectstorage/index.js';"],
    ['configstore/types/probe.ts', "import { something } from '../datamanager/datamanager.js';"],
    ['configstore/errors.ts', "import { route } from './api/routes.js';"],
    ['operator/controllers/probe.ts', "import { readdb } from '../../configstore/readdb/readdb.js';"],
  ])('refuses an internal import in %s', async (file, code) => {
    const messages = await restrictedImports(file, `${code}\nexport const probe = 1;\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/README: Rules the code keeps/);
  });

  it.each([
    ['configstore/client/probe.ts', "import { RemoteError } from '../errors.js';"],
    ['operator/controllers/probe.ts', "import { RemoteError } from '../../configstore/errors.js';"],
    ['configstore/api/probe.ts', "import { PosixObjectStorage } from '../objectstorage/index.js';"],
  ])('allows %s to import what its layer may', async (file, code) => {
    expect(await restrictedImports(file, `${code}\nexport const probe = 1;\n`)).toEqual([]);
  });
});
