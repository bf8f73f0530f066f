import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layer rules live in eslint.config.mjs; these cases lint made-up files with the project's config, so a rule
 * that is deleted, loosened or scoped to the wrong folder fails here (and a rule that is too broad fails the
 * allowed imports). Each case is one import placed at a path in the repository.
 */
const ROOT = join(__dirname, '../../..');

interface Case {
  readonly filePath: string;
  readonly from: string;
  readonly typeOnly?: boolean;
}

const code = ({ from, typeOnly }: Case) =>
  typeOnly
    ? `import type * as Imported from '${from}';\nexport type X = typeof Imported;\n`
    : `import * as imported from '${from}';\nexport const x = imported;\n`;

function lint(cases: readonly Case[]): Map<Case, { ruleId: string | null; message: string }[]> {
  const run = spawnSync(process.execPath, [join(ROOT, 'test/support/lint-fixtures.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(cases.map((c) => ({ filePath: c.filePath, code: code(c) }))),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`eslint fixture run failed: ${run.stderr}`);
  const results = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return new Map(cases.map((c, i) => [c, results[i]!.messages]));
}

const refused: readonly Case[] = [
  // core imports no adapter, handler, local, wiring, CDK or CLI code, and no I/O library
  { filePath: 'lambdas/core/fixture.ts', from: '../adapters/geoip-lite-locator' },
  { filePath: 'lambdas/core/policy/fixture.ts', from: '../../handlers/http/http-handler', typeOnly: true },
  { filePath: 'lambdas/core/risk/signals/fixture.ts', from: '../../../local/runtime' },
  { filePath: 'lambdas/core/fixture.ts', from: '../composition/decide' },
  { filePath: 'lambdas/core/fixture.ts', from: '../wiring/decide' },
  { filePath: 'lambdas/core/fixture.ts', from: '../../lib/lambda-entries' },
  { filePath: 'lambdas/core/fixture.ts', from: '../../bin/commands/policy' },
  { filePath: 'lambdas/core/fixture.ts', from: '@aws-sdk/client-dynamodb' },
  { filePath: 'lambdas/core/fixture.ts', from: 'node:fs' },
  { filePath: 'lambdas/core/fixture.ts', from: 'geoip-lite' },
  // handlers never import the local runtime
  { filePath: 'lambdas/handlers/fixture.ts', from: '../local/local-identities' },
  { filePath: 'lambdas/handlers/triggers/fixture.ts', from: '../../local/cognito-emulator', typeOnly: true },
  // adapters never import handlers
  { filePath: 'lambdas/adapters/fixture.ts', from: '../handlers/http/http-handler', typeOnly: true },
  { filePath: 'lambdas/adapters/dynamodb/fixture.ts', from: '../../handlers/decide' },
  // Lambda code and the CDK meet only in lambdas/contracts
  { filePath: 'lambdas/wiring/fixture.ts', from: '../../lib/lambda-entries' },
  { filePath: 'lambdas/local/fixture.ts', from: '../../lib/constructs/stepgate-tables' },
  { filePath: 'lib/constructs/fixture.ts', from: '../../lambdas/adapters/dynamodb/risk-keys' },
  { filePath: 'lib/fixture.ts', from: '../lambdas/core/policy/default-policy' },
  { filePath: 'bin/stepgate.ts', from: '../lambdas/handlers/decide' },
  // contracts import nothing outside contracts (the CDK imports them)
  { filePath: 'lambdas/contracts/fixture.ts', from: '../core/errors' },
];

const allowed: readonly Case[] = [
  { filePath: 'lambdas/core/fixture.ts', from: '../ports/clock', typeOnly: true },
  { filePath: 'lambdas/core/step-up/fixture.ts', from: '../../contracts/identifiers' },
  { filePath: 'lambdas/core/fixture.ts', from: './policy/default-policy' },
  { filePath: 'lambdas/core/fixture.ts', from: 'node:crypto' },
  { filePath: 'lambdas/handlers/fixture.ts', from: '../adapters/powertools-log' },
  { filePath: 'lambdas/adapters/fixture.ts', from: '../ports/log', typeOnly: true },
  { filePath: 'lambdas/local/fixture.ts', from: '../handlers/decide' },
  { filePath: 'lambdas/wiring/fixture.ts', from: '../contracts/environment' },
  { filePath: 'lambdas/contracts/fixture.ts', from: './identity' },
  { filePath: 'lib/constructs/fixture.ts', from: '../../lambdas/contracts/tables' },
  { filePath: 'bin/stepgate.ts', from: '../lambdas/contracts/routes' },
  { filePath: 'bin/commands/fixture.ts', from: '../../lambdas/local/runtime' },
];

describe('layer rules (eslint.config.mjs)', () => {
  let results: Map<Case, { ruleId: string | null; message: string }[]>;

  beforeAll(() => {
    results = lint([...refused, ...allowed]);
  }, 90_000);

  it.each(refused.map((c) => [c.filePath, c.from, c] as const))('refuses %s importing %s', (_path, _from, c) => {
    expect(results.get(c)!.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });

  it.each(allowed.map((c) => [c.filePath, c.from, c] as const))('allows %s importing %s', (_path, _from, c) => {
    expect(results.get(c)).toEqual([]);
  });

  it('says why, so whoever trips a rule knows where the code belongs', () => {
    const [message] = results.get(refused[0]!)!;
    expect(message?.message).toMatch(/lambdas\/core is the pure engine/);
  });
});
