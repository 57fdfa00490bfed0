import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path patterns below are relative to the repository root, also when a project's config imports this file. */
const root = dirname(fileURLToPath(import.meta.url));

/**
 * Workspace lint rules. Module boundaries are enforced on two tag axes:
 * - type (what a project is, and so what it may use): contracts | util | data-access | config | app | e2e | tool
 *   | example
 * - scope (who may import it): shared (the libraries under libs/) | tools | examples. Apps and e2e projects
 *   carry no scope: nothing imports them (no rule lists type:app or type:e2e), and their type rule says what
 *   they may use.
 */
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  prettier,
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.cache', '**/coverage', '**/tmp'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: false,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?js$', '^(\\.\\./)+tools/webpack/node-app$'],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data-access'],
            },
            // Each app's config schema and loader (libs/app-config): what the app, deploy-check and the docs share.
            {
              sourceTag: 'type:config',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data-access'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data-access', 'type:config'],
            },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data-access', 'type:tool'],
            },
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:util',
                'type:data-access',
                'type:config',
                'type:tool',
              ],
            },
            // examples/: what another team would write; it may use only what we publish for them (contracts).
            { sourceTag: 'type:example', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'scope:examples', onlyDependOnLibsWithTags: ['scope:shared'] },
            // Libraries never reach into tools; tools may use libraries and other tools.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(only|skip)$/][callee.object.name=/^(it|test|describe)$/]',
          message: 'Focused or skipped tests must not be committed.',
        },
      ],
    },
  },
  {
    // kafkajs lives behind libs/messaging; the local-broker tool and its smoke test may use it directly.
    basePath: root,
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/messaging/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              message: 'Use @broker-events/messaging: it is the only place that talks to Kafka.',
            },
          ],
        },
      ],
    },
  },
  {
    // Configuration is read once, in each app's config module.
    basePath: root,
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: [
      '**/*.config.ts',
      '**/config/**',
      '**/*.spec.ts',
      '**/main.ts',
      'apps/*-e2e/**',
      '**/testing/**',
      '**/testing.ts',
    ],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through the app config module only.',
        },
      ],
    },
  },
];
