// One flat config for the whole workspace (typed linting through the project service).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import { defineConfig, globalIgnores } from 'eslint/config';

export default defineConfig(
  globalIgnores([
    '**/dist/**',
    '**/coverage/**',
    '**/test-results/**',
    '**/.cache/**',
    '**/*.config.{js,mjs,ts}',
    'scripts/**',
    '**/e2e/fixtures/**',
  ]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true }],
      '@typescript-eslint/no-unused-vars': 'off', // tsconfig's noUnusedLocals/Parameters do this job
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use an as-const object + union.' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['apps/editor/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: ['kafkajs', 'lmdb', '@tributary/nodes/runtime', '@tributary/nodes'],
          patterns: ['node:*'],
        },
      ],
    },
  },
  {
    files: ['packages/nodes/src/**/manifest.ts', 'packages/nodes/src/manifests.ts', 'packages/shared/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      // Browser-safe halves: nothing node-only may leak into the editor bundle.
      'no-restricted-imports': ['error', { paths: ['kafkajs', 'lmdb', 'ioredis', 'pg'], patterns: ['node:*'] }],
    },
  },
  {
    files: ['apps/runtime/src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['express', 'socket.io'] }] },
  },
  {
    files: ['**/*.test.{ts,tsx}', '**/testing/**/*.ts', '**/e2e/**/*.ts', '**/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);
