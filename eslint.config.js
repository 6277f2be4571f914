// Lint: typescript-eslint's recommended rules, plus the layering rule the README states (Rules the code keeps):
// the exported modules (client, types, errors) never import the server's internals.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const internals = ['api', 'action', 'readdb', 'datamanager', 'objectstorage', 'cli'];
const internalPatterns = internals.flatMap((dir) => [`**/${dir}`, `**/${dir}/**`, `../${dir}`, `../${dir}/**`, `./${dir}`, `./${dir}/**`]);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'charts/**', 'crds/**', '.scratch/**', '.local/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // .dependency-cruiser.cjs: a CommonJS config file (dependency-cruiser loads it with require)
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['configstore/client/**/*.ts', 'configstore/types/**/*.ts', 'configstore/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: internalPatterns,
              message: 'Exported modules (client, types, errors.ts) must not import configstore internals (README: Rules the code keeps).',
            },
          ],
        },
      ],
    },
  },
  {
    // The operator talks to configstore only through the exported client and types.
    files: ['operator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: internals.flatMap((dir) => [`**/configstore/${dir}`, `**/configstore/${dir}/**`]),
              message: 'The operator uses only configstore/client, configstore/types and configstore/errors.js (README: Rules the code keeps).',
            },
          ],
        },
      ],
    },
  },
);
