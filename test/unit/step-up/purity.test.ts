import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The step-up rules must stay pure (DESIGN §1): time, randomness and keys are passed in, nothing is logged.
 * A grep is crude, but it stops the easy regressions before review does.
 */
const dir = join(__dirname, '../../../lambdas/core/step-up');
const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));

const forbidden: [string, RegExp][] = [
  ['process.env', /process\.env/],
  ['Date.now', /Date\.now/],
  ['new Date()', /new Date\(\s*\)/],
  ['Math.random', /Math\.random/],
  [
    'crypto randomness',
    /import[^;]*\b(randomInt|randomBytes|randomUUID|getRandomValues)\b[^;]*from ['"](node:)?crypto['"]/,
  ],
  ['crypto.random*', /crypto\.(randomInt|randomBytes|randomUUID|getRandomValues)/],
  ['the AWS SDK', /from ['"]@aws-sdk\//],
  ['fs', /from ['"](node:)?fs(\/promises)?['"]/],
  ['console', /\bconsole\./],
];

describe('lambdas/core/step-up purity', () => {
  it('has the expected files and no barrel', () => {
    expect(files).not.toContain('index.ts');
    expect(files).toEqual(
      expect.arrayContaining([
        'otp-code.ts',
        'challenge-policy.ts',
        'totp.ts',
        'define-auth-challenge.ts',
        'decision-token.ts',
        'client-metadata.ts',
        'masking.ts',
      ]),
    );
  });

  it.each(files)('%s reads no clock, env, randomness, AWS, fs, and logs nothing', (file) => {
    // Comments may mention what the code avoids; only code counts.
    const source = readFileSync(join(dir, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const [label, pattern] of forbidden) {
      expect({ file, label, found: pattern.test(source) }).toEqual({ file, label, found: false });
    }
  });
});
