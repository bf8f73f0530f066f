import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The layer rules, checked on every import. Paths are relative, so each pattern matches a climb out of the folder
 * (`../`, `../../` ...) into the folder it forbids; `no-restricted-imports` takes one option list per file, so each
 * layer lists everything it may not import, including what every Lambda file may not.
 */
const UP = String.raw`^(\.\./)+`;
const forbid = (folders, message) => ({ regex: `${UP}(${folders.join('|')})(/|$)`, message });

/** Lambda code and the CDK meet only in lambdas/contracts: neither side bundles or synthesizes the other. */
const lambdaNotCdk = forbid(
  ['lib', 'bin'],
  'Lambda code does not import the CDK app or the CLI; share names through lambdas/contracts.',
);
const coreIsPure = [
  forbid(
    ['adapters', 'handlers', 'local', 'wiring', 'composition', 'application', 'config', 'evaluation', 'tools'],
    'lambdas/core is the pure engine: it imports only core, ports and contracts; I/O comes in through ports.',
  ),
  {
    group: [
      '@aws-sdk/*',
      'aws-cdk-lib',
      'aws-cdk-lib/*',
      'geoip-lite',
      'ua-parser-js',
      'fs',
      'node:fs',
      'fs/*',
      'node:fs/*',
    ],
    message:
      'lambdas/core does no I/O: the AWS SDK, geo and user-agent libraries and the file system live in adapters.',
  },
];
const layer = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

export const LAYER_RULES = [
  layer(['lambdas/**/*.ts'], [lambdaNotCdk]),
  layer(['lambdas/core/**/*.ts'], [lambdaNotCdk, ...coreIsPure]),
  layer(
    ['lambdas/handlers/**/*.ts'],
    [lambdaNotCdk, forbid(['local'], 'Handlers run in AWS: they never import the local runtime (it imports them).')],
  ),
  layer(
    ['lambdas/adapters/**/*.ts'],
    [lambdaNotCdk, forbid(['handlers'], 'Adapters implement ports; handlers use them, never the other way round.')],
  ),
  // Contracts are imported by both sides, so they import nothing of either: a contract importing Lambda code would
  // pull it into the CDK app.
  layer(
    ['lambdas/contracts/**/*.ts'],
    [{ regex: String.raw`^\.\./`, message: 'lambdas/contracts imports only other contracts.' }],
  ),
  layer(
    ['lib/**/*.ts', 'bin/stepgate.ts'],
    [
      {
        regex: `${UP}lambdas/(?!contracts/)`,
        message:
          'The CDK app imports Lambda code only through lambdas/contracts; functions are bundled from their wiring file.',
      },
    ],
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', 'dist/**', '**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...LAYER_RULES,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
